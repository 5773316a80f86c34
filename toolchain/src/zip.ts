import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { inflateRawSync } from 'node:zlib';

// Written here rather than taken from yauzl: CDK constructs run synchronously, and yauzl
// (used to extract artifacts, artifact.ts) has only an asynchronous API. Reading sizes and
// the image's bootstrap needs no more than the central directory and one inflate.

export interface ZipEntry {
  readonly name: string;
  readonly compressedBytes: number;
  readonly uncompressedBytes: number;
  /** 0 stored, 8 deflate. */
  readonly method: number;
  /** Unix permission bits from the external attributes, 0 when the zip was not made on Unix. */
  readonly mode: number;
  readonly localHeaderOffset: number;
}

export interface ArtifactSizes {
  /** Size of the zip file. */
  readonly zippedBytes: number;
  /** Sum of the entries' uncompressed sizes, as Lambda counts against its 250 MB limit. */
  readonly unzippedBytes: number;
}

const EOCD = 0x06054b50;
const ZIP64_LOCATOR = 0x07064b50;
const ZIP64_EOCD = 0x06064b50;
const CENTRAL_ENTRY = 0x02014b50;
const LOCAL_HEADER = 0x04034b50;
const MAX16 = 0xffff;
const MAX32 = 0xffffffff;

function read(fd: number, position: number, length: number): Buffer {
  const buffer = Buffer.alloc(length);
  let done = 0;
  while (done < length) {
    const n = readSync(fd, buffer, done, length - done, position + done);
    if (n === 0) break;
    done += n;
  }
  if (done < length) throw new Error('unexpected end of file');
  return buffer;
}

/** The entries of a zip, from its central directory (no data is decompressed). */
export function readZipEntries(zipPath: string): { size: number; entries: ZipEntry[] } {
  const fd = openSync(zipPath, 'r');
  try {
    const size = fstatSync(fd).size;
    // The end record is 22 bytes plus a comment of at most 64 KiB.
    const tailLength = Math.min(size, 22 + MAX16);
    const tail = read(fd, size - tailLength, tailLength);
    let eocd = -1;
    for (let i = tail.length - 22; i >= 0; i--) {
      if (tail.readUInt32LE(i) === EOCD) {
        eocd = i;
        break;
      }
    }
    if (eocd < 0) throw new Error(`${zipPath} is not a zip (no end of central directory record)`);
    let count: number = tail.readUInt16LE(eocd + 10);
    let cdSize: number = tail.readUInt32LE(eocd + 12);
    let cdOffset: number = tail.readUInt32LE(eocd + 16);
    if ((count === MAX16 || cdSize === MAX32 || cdOffset === MAX32) && eocd >= 20) {
      const locator = eocd - 20;
      if (tail.readUInt32LE(locator) === ZIP64_LOCATOR) {
        const record = read(fd, Number(tail.readBigUInt64LE(locator + 8)), 56);
        if (record.readUInt32LE(0) !== ZIP64_EOCD) throw new Error(`${zipPath}: bad zip64 end record`);
        count = Number(record.readBigUInt64LE(32));
        cdSize = Number(record.readBigUInt64LE(40));
        cdOffset = Number(record.readBigUInt64LE(48));
      }
    }
    const cd = read(fd, cdOffset, cdSize);
    const entries: ZipEntry[] = [];
    let at = 0;
    for (let i = 0; i < count; i++) {
      if (cd.readUInt32LE(at) !== CENTRAL_ENTRY) throw new Error(`${zipPath}: corrupt central directory`);
      const nameLength = cd.readUInt16LE(at + 28);
      const extraLength = cd.readUInt16LE(at + 30);
      const commentLength = cd.readUInt16LE(at + 32);
      let compressedBytes: number = cd.readUInt32LE(at + 20);
      let uncompressedBytes: number = cd.readUInt32LE(at + 24);
      let localHeaderOffset: number = cd.readUInt32LE(at + 42);
      const extra = cd.subarray(at + 46 + nameLength, at + 46 + nameLength + extraLength);
      // Zip64: the extra field holds, in this order, only the values saturated above.
      for (let e = 0; e + 4 <= extra.length; ) {
        const id = extra.readUInt16LE(e);
        const length = extra.readUInt16LE(e + 2);
        if (id === 0x0001) {
          let v = e + 4;
          if (uncompressedBytes === MAX32) {
            uncompressedBytes = Number(extra.readBigUInt64LE(v));
            v += 8;
          }
          if (compressedBytes === MAX32) {
            compressedBytes = Number(extra.readBigUInt64LE(v));
            v += 8;
          }
          if (localHeaderOffset === MAX32) localHeaderOffset = Number(extra.readBigUInt64LE(v));
        }
        e += 4 + length;
      }
      entries.push({
        name: cd.toString('utf8', at + 46, at + 46 + nameLength),
        compressedBytes,
        uncompressedBytes,
        method: cd.readUInt16LE(at + 10),
        mode: (cd.readUInt32LE(at + 38) >>> 16) & 0o777,
        localHeaderOffset,
      });
      at += 46 + nameLength + extraLength + commentLength;
    }
    return { size, entries };
  } finally {
    closeSync(fd);
  }
}

/** Zipped and unzipped sizes of an artifact. */
export function readZipSizes(zipPath: string): ArtifactSizes {
  const { size, entries } = readZipEntries(zipPath);
  return { zippedBytes: size, unzippedBytes: entries.reduce((sum, e) => sum + e.uncompressedBytes, 0) };
}

/** The decompressed content of one entry. */
export function readZipEntry(zipPath: string, entry: ZipEntry): Buffer {
  const fd = openSync(zipPath, 'r');
  try {
    const header = read(fd, entry.localHeaderOffset, 30);
    if (header.readUInt32LE(0) !== LOCAL_HEADER)
      throw new Error(`${zipPath}: bad local header for ${entry.name}`);
    const start = entry.localHeaderOffset + 30 + header.readUInt16LE(26) + header.readUInt16LE(28);
    const raw = read(fd, start, entry.compressedBytes);
    let data: Buffer;
    if (entry.method === 0) data = raw;
    else if (entry.method === 8) data = inflateRawSync(raw);
    else throw new Error(`${zipPath}: ${entry.name} uses compression method ${entry.method}`);
    if (data.length !== entry.uncompressedBytes)
      throw new Error(`${zipPath}: ${entry.name} has the wrong size`);
    return data;
  } finally {
    closeSync(fd);
  }
}
