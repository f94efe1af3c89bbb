// Writes small HPROF files in memory, byte for byte as HotSpot lays them out (header, UTF8 names, LOAD CLASS,
// STACK FRAME / STACK TRACE, one HEAP DUMP SEGMENT with class dumps first, then GC roots and objects in id
// order), for tests that need a heap whose classes are named as a Bazel version names them — a layout no JVM
// on this machine can produce. Only what the digest reads is modelled: instance fields (references, ints,
// bytes, longs), object and byte arrays, Strings (compact, Latin-1), threads with Java frames and stack roots.

/** A field of a class: references are "ref". */
export interface FieldSpec {
  readonly name: string;
  readonly type: "ref" | "int" | "long" | "byte" | "boolean";
}

/** An object in the heap being built (its HPROF id). */
export interface Ref {
  readonly id: number;
}

export type FieldValue = Ref | number | null;

/** A Java frame of a thread's stack trace. */
export interface JavaFrame {
  readonly className: string;
  readonly method: string;
  readonly line: number;
}

const TYPE_CODES: Readonly<Record<FieldSpec["type"], number>> = { ref: 2, boolean: 4, byte: 8, int: 10, long: 11 };
const TYPE_BYTE = 8;

interface ClassSpec {
  readonly id: number;
  readonly name: string;
  readonly superName: string | undefined;
  readonly fields: readonly FieldSpec[];
}

type HeapObject =
  | { readonly kind: "instance"; readonly id: number; readonly className: string; readonly values: Record<string, FieldValue> }
  | { readonly kind: "object-array"; readonly id: number; readonly className: string; readonly elements: readonly (Ref | null)[] }
  | { readonly kind: "byte-array"; readonly id: number; readonly data: Uint8Array };

type Root =
  | { readonly kind: "global"; readonly target: Ref }
  | { readonly kind: "thread-object"; readonly target: Ref; readonly serial: number; readonly trace: number }
  | { readonly kind: "java-frame"; readonly target: Ref; readonly serial: number };

/** "java.lang.Object[]" → "[Ljava/lang/Object;", "byte[]" → "[B", "a.B$C" → "a/B$C" (LOAD CLASS names). */
function internalName(name: string): string {
  if (name === "byte[]") return "[B";
  if (name.endsWith("[]")) return `[L${name.slice(0, -2).replaceAll(".", "/")};`;
  return name.replaceAll(".", "/");
}

export class SyntheticHeap {
  private nextId = 0x10000;
  private readonly classes = new Map<string, ClassSpec>();
  private readonly objects: HeapObject[] = [];
  private readonly roots: Root[] = [];
  private readonly threads: { serial: number; trace: number; frames: readonly JavaFrame[] }[] = [];

  constructor(readonly idSize: 4 | 8 = 8) {
    this.defineClass("java.lang.Object", [], null);
    this.defineClass("java.lang.String", [
      { name: "value", type: "ref" },
      { name: "hash", type: "int" },
      { name: "coder", type: "byte" },
    ]);
    this.defineClass("java.lang.Thread", [{ name: "name", type: "ref" }]);
    this.defineClass("java.lang.Object[]", []);
    this.defineClass("byte[]", []);
  }

  private allocate(): number {
    this.nextId += 16;
    return this.nextId;
  }

  /** Declares a class (once) with its own instance fields; `superName` null only for java.lang.Object. */
  defineClass(name: string, fields: readonly FieldSpec[], superName: string | null = "java.lang.Object"): void {
    if (this.classes.has(name)) throw new Error(`class ${name} defined twice`);
    if (superName !== null && !this.classes.has(superName)) throw new Error(`define ${superName} before ${name}`);
    this.classes.set(name, { id: this.allocate(), name, superName: superName ?? undefined, fields });
  }

  /** An instance; fields left out are null / 0. */
  object(className: string, values: Readonly<Record<string, FieldValue>> = {}): Ref {
    const known = new Set(this.allFields(className).map((field) => field.name));
    for (const name of Object.keys(values)) if (!known.has(name)) throw new Error(`${className} has no field ${name}`);
    const id = this.allocate();
    this.objects.push({ kind: "instance", id, className, values: { ...values } });
    return { id };
  }

  /** Sets a field of an instance made earlier (for cycles: a thread and the frames that point back at it). */
  set(target: Ref, field: string, value: FieldValue): void {
    const object = this.objects.find((candidate) => candidate.id === target.id);
    if (object?.kind !== "instance") throw new Error(`no instance ${target.id}`);
    if (!this.allFields(object.className).some((candidate) => candidate.name === field)) throw new Error(`${object.className} has no field ${field}`);
    object.values[field] = value;
  }

  objectArray(elements: readonly (Ref | null)[], className = "java.lang.Object[]"): Ref {
    if (!this.classes.has(className)) this.defineClass(className, []);
    const id = this.allocate();
    this.objects.push({ kind: "object-array", id, className, elements });
    return { id };
  }

  bytes(data: Uint8Array): Ref {
    const id = this.allocate();
    this.objects.push({ kind: "byte-array", id, data });
    return { id };
  }

  /** A compact (Latin-1) java.lang.String. */
  string(text: string): Ref {
    return this.object("java.lang.String", { value: this.bytes(new TextEncoder().encode(text)), coder: 0 });
  }

  /** A root nothing else explains (a JNI global): keeps `target` reachable. */
  global(target: Ref): void {
    this.roots.push({ kind: "global", target });
  }

  /**
   * A java.lang.Thread named `name`, running `frames` (innermost first), whose Java stack holds `stackLocals`
   * (java-frame roots of this thread).
   */
  thread(name: string, frames: readonly JavaFrame[], stackLocals: readonly Ref[]): Ref {
    const serial = this.threads.length + 1;
    const trace = 100 + serial;
    this.threads.push({ serial, trace, frames });
    const thread = this.object("java.lang.Thread", { name: this.string(name) });
    this.roots.push({ kind: "thread-object", target: thread, serial, trace });
    for (const local of stackLocals) this.roots.push({ kind: "java-frame", target: local, serial });
    return thread;
  }

  private allFields(className: string): FieldSpec[] {
    const fields: FieldSpec[] = [];
    for (let current = this.classes.get(className); current !== undefined; current = current.superName === undefined ? undefined : this.classes.get(current.superName)) {
      fields.push(...current.fields);
    }
    if (!this.classes.has(className)) throw new Error(`unknown class ${className}`);
    return fields;
  }

  /** The whole file. */
  toBytes(timestamp = Date.UTC(2026, 0, 2, 3, 4, 5)): Uint8Array {
    const out = new Writer(this.idSize);
    out.text("JAVA PROFILE 1.0.2\0");
    out.u4(this.idSize);
    out.u4(Math.floor(timestamp / 2 ** 32));
    out.u4(timestamp >>> 0);
    const names = new Map<string, number>();
    const nameId = (text: string): number => {
      let id = names.get(text);
      if (id === undefined) {
        id = this.allocate();
        names.set(text, id);
        out.record(0x01, (body) => {
          body.id(id!);
          body.text(text);
        });
      }
      return id;
    };
    const classSerials = new Map<string, number>();
    for (const spec of this.classes.values()) {
      const serial = classSerials.size + 1;
      classSerials.set(spec.name, serial);
      const name = nameId(internalName(spec.name));
      out.record(0x02, (body) => {
        body.u4(serial);
        body.id(spec.id);
        body.u4(0);
        body.id(name);
      });
      for (const field of spec.fields) nameId(field.name);
    }
    this.writeTraces(out, nameId, classSerials);
    out.record(0x1c, (body) => {
      for (const spec of this.classes.values()) this.writeClassDump(body, spec, nameId);
      for (const root of this.roots) writeRoot(body, root);
      for (const object of this.objects) this.writeObject(body, object);
    });
    out.record(0x2c, () => {});
    return out.bytes();
  }

  private writeTraces(out: Writer, nameId: (text: string) => number, classSerials: Map<string, number>): void {
    for (const thread of this.threads) {
      const frameIds = thread.frames.map((frame) => {
        const id = this.allocate();
        let classSerial = classSerials.get(frame.className);
        if (classSerial === undefined) {
          // A class only named by a frame: HotSpot still loads it (LOAD CLASS), without an instance.
          classSerial = classSerials.size + 1;
          classSerials.set(frame.className, classSerial);
          const name = nameId(internalName(frame.className));
          const classId = this.allocate();
          out.record(0x02, (body) => {
            body.u4(classSerial!);
            body.id(classId);
            body.u4(0);
            body.id(name);
          });
        }
        const method = nameId(frame.method);
        const signature = nameId("()V");
        const source = nameId(`${frame.className.replace(/^.*[.]/, "")}.java`);
        out.record(0x04, (body) => {
          body.id(id);
          body.id(method);
          body.id(signature);
          body.id(source);
          body.u4(classSerial!);
          body.u4(frame.line);
        });
        return id;
      });
      out.record(0x05, (body) => {
        body.u4(thread.trace);
        body.u4(thread.serial);
        body.u4(frameIds.length);
        for (const id of frameIds) body.id(id);
      });
    }
  }

  private writeClassDump(body: Writer, spec: ClassSpec, nameId: (text: string) => number): void {
    body.u1(0x20);
    body.id(spec.id);
    body.u4(0);
    body.id(spec.superName === undefined ? 0 : this.classes.get(spec.superName)!.id);
    for (let i = 0; i < 5; i++) body.id(0); // loader, signers, protection domain, two reserved
    body.u4(this.allFields(spec.name).reduce((sum, field) => sum + fieldBytes(field, this.idSize), 0));
    body.u2(0); // constant pool
    body.u2(0); // statics
    body.u2(spec.fields.length);
    for (const field of spec.fields) {
      body.id(nameId(field.name));
      body.u1(TYPE_CODES[field.type]);
    }
  }

  private writeObject(body: Writer, object: HeapObject): void {
    switch (object.kind) {
      case "instance": {
        const fields = this.allFields(object.className);
        const data = new Writer(this.idSize);
        for (const field of fields) writeValue(data, field, object.values[field.name] ?? null);
        const bytes = data.bytes();
        body.u1(0x21);
        body.id(object.id);
        body.u4(0);
        body.id(this.classes.get(object.className)!.id);
        body.u4(bytes.length);
        body.raw(bytes);
        break;
      }
      case "object-array":
        body.u1(0x22);
        body.id(object.id);
        body.u4(0);
        body.u4(object.elements.length);
        body.id(this.classes.get(object.className)!.id);
        for (const element of object.elements) body.id(element?.id ?? 0);
        break;
      case "byte-array":
        body.u1(0x23);
        body.id(object.id);
        body.u4(0);
        body.u4(object.data.length);
        body.u1(TYPE_BYTE);
        body.raw(object.data);
        break;
    }
  }
}

function fieldBytes(field: FieldSpec, idSize: number): number {
  return { ref: idSize, boolean: 1, byte: 1, int: 4, long: 8 }[field.type];
}

function writeValue(out: Writer, field: FieldSpec, value: FieldValue): void {
  if (field.type === "ref") {
    if (typeof value === "number") throw new Error(`field ${field.name} holds a reference, not ${value}`);
    out.id(value?.id ?? 0);
    return;
  }
  if (value !== null && typeof value !== "number") throw new Error(`field ${field.name} holds a ${field.type}, not a reference`);
  const number = value ?? 0;
  if (field.type === "int") out.u4(number >>> 0);
  else if (field.type === "long") {
    out.u4(Math.floor(number / 2 ** 32) >>> 0);
    out.u4(number >>> 0);
  } else out.u1(number & 0xff);
}

function writeRoot(out: Writer, root: Root): void {
  switch (root.kind) {
    case "global":
      out.u1(0x01);
      out.id(root.target.id);
      out.id(0);
      break;
    case "thread-object":
      out.u1(0x08);
      out.id(root.target.id);
      out.u4(root.serial);
      out.u4(root.trace);
      break;
    case "java-frame":
      out.u1(0x03);
      out.id(root.target.id);
      out.u4(root.serial);
      out.u4(0);
      break;
  }
}

/** Big-endian bytes, as HPROF writes them. */
class Writer {
  private chunks: number[] = [];

  constructor(private readonly idSize: number) {}

  u1(value: number): void {
    this.chunks.push(value & 0xff);
  }

  u2(value: number): void {
    this.chunks.push((value >>> 8) & 0xff, value & 0xff);
  }

  u4(value: number): void {
    this.chunks.push((value >>> 24) & 0xff, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff);
  }

  id(value: number): void {
    if (this.idSize === 8) this.u4(Math.floor(value / 2 ** 32));
    this.u4(value >>> 0);
  }

  text(value: string): void {
    for (const byte of new TextEncoder().encode(value)) this.chunks.push(byte);
  }

  raw(bytes: Uint8Array): void {
    for (const byte of bytes) this.chunks.push(byte);
  }

  /** A top-level record: tag, time offset 0, body length, body. */
  record(tag: number, fill: (body: Writer) => void): void {
    const body = new Writer(this.idSize);
    fill(body);
    const bytes = body.bytes();
    this.u1(tag);
    this.u4(0);
    this.u4(bytes.length);
    this.raw(bytes);
  }

  bytes(): Uint8Array {
    return Uint8Array.from(this.chunks);
  }
}
