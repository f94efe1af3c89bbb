/**
 * Which object layout the JVM used (hprof-format.ts OBJECT_LAYOUTS), told by the objects' addresses: HotSpot
 * writes objects in address order, so an array's id and the next object's id are, most of the time, that array's
 * size apart in the heap; an array's size under each layout is exact (header, length, element size), an
 * instance's only an estimate, so arrays vote for every layout whose size their successor lies away. A layout
 * VOTES ahead of every other decides (a primitive array is the same size under the first two, so only object
 * arrays tell those apart); after MAX_UNDECIDED_OBJECTS objects the most votes decide (a tie goes to the earlier
 * layout, compressed first). Arrays read before that are kept aside and sized again once it is known.
 */
import { Column } from "./hprof-columns.js";
import { arrayBytes, OBJECT_LAYOUTS, TWO_32, type ObjectLayout } from "./hprof-format.js";
import type { ShallowSizes } from "./shallow-sizes.js";

/** The lead that decides: enough to outvote the odd neighbour across a gap. */
const VOTES = 64;
/** Objects after which the layout is settled however few votes came (the arrays kept aside stay few). */
const MAX_UNDECIDED_OBJECTS = 1 << 16;

export class LayoutVotes {
  private readonly votes = new Float64Array(OBJECT_LAYOUTS.length);
  private objects = 0;
  /** The previous object was an array: its id's halves and its size under each layout. */
  private previousIsArray = false;
  private previousHigh = 0;
  private previousLow = 0;
  private readonly previousSizes = new Float64Array(OBJECT_LAYOUTS.length);
  /** The arrays read so far: slot, elements, element bytes (0: references). */
  private readonly slots = new Column();
  private readonly elements = new Column();
  private readonly elementBytes = new Column();

  /** An object with this id (its signed halves) comes next: the array before it, if one was, votes. */
  follows(high: number, low: number): void {
    this.objects++;
    if (this.previousIsArray) {
      const distance = (high - this.previousHigh) * TWO_32 + ((low >>> 0) - (this.previousLow >>> 0));
      for (let k = 0; k < OBJECT_LAYOUTS.length; k++) if (distance === this.previousSizes[k]) this.votes[k] = this.votes[k]! + 1;
    }
    this.previousIsArray = false;
    this.previousHigh = high;
    this.previousLow = low;
  }

  /** The object just begun (its id given to follows) is an array: kept aside, and a vote for what follows. */
  array(slot: number, elements: number, elementBytes: number): void {
    this.slots.push(slot);
    this.elements.push(elements);
    this.elementBytes.push(elementBytes);
    for (let k = 0; k < OBJECT_LAYOUTS.length; k++) this.previousSizes[k] = arrayBytes(OBJECT_LAYOUTS[k]!, elements, elementBytes);
    this.previousIsArray = true;
  }

  /** Whether enough has been seen to settle the layout. */
  decided(): boolean {
    if (this.objects >= MAX_UNDECIDED_OBJECTS) return true;
    const leader = this.winner();
    for (let k = 0; k < OBJECT_LAYOUTS.length; k++) if (k !== leader && this.votes[leader]! - this.votes[k]! < VOTES) return false;
    return true;
  }

  /** The index in OBJECT_LAYOUTS with the most votes (ties: the earlier; none: compressed). */
  winner(): number {
    let best = 0;
    for (let k = 1; k < OBJECT_LAYOUTS.length; k++) if (this.votes[k]! > this.votes[best]!) best = k;
    return best;
  }

  /** The arrays kept aside, sized again under `layout`. */
  resize(sizes: ShallowSizes, layout: ObjectLayout): void {
    const slots = this.slots.view();
    for (let i = 0; i < slots.length; i++) sizes.set(slots[i]!, arrayBytes(layout, this.elements.values[i]!, this.elementBytes.values[i]!));
  }
}
