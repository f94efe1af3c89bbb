// esbuild's bundle embeds .wasm files (gzip-compressed, see scripts/bundle.mjs); the import is their bytes.
declare module "*.wasm" {
  const gzippedBytes: Uint8Array;
  export default gzippedBytes;
}
