// Zeroing regions at start without making them resident.
//
// A fresh WebAssembly.Memory is already zero, and its untouched pages cost no RSS: reading one maps the kernel's
// shared zero page, writing one allocates it. memory.fill writes every byte, so zeroing the frame slots (68 KiB
// each, of which a small frame uses the first few hundred bytes) and the MDB at init made all of it resident from
// the start (about 50 MB with the default 256-frame batch and a 262 144-entry MDB). This stores only where a word
// is not zero already, so a fresh memory stays untouched and a reused one is still cleared — where the kernel maps
// the zero page on a read fault. Some do not (measured on this project's 2-CPU VM: reading 45 MB of a fresh memory
// made 45 MB resident), so `init` skips the clearing altogether for a memory it is told is fresh (layout.ts), and
// mdbClear skips an empty table.

export function zeroRange(at: usize, bytes: usize): void {
  const end = at + bytes;
  let p = at;
  for (; p + 8 <= end; p += 8) {
    if (load<u64>(p) != 0) store<u64>(p, 0);
  }
  for (; p < end; p++) {
    if (load<u8>(p) != 0) store<u8>(p, 0);
  }
}
