import { constants } from 'node:fs'
import { type FileHandle, open } from 'node:fs/promises'
import { dirname } from 'node:path'
import { crc32 } from 'node:zlib'
import { syncDirectory } from '../infra/atomic-file.js'
import type { CommitJournal } from './memory-commit-log.js'

/**
 * The embedded mode's event log: one append-only file, one record per commit.
 *
 *     record = FF FE | length (u32 BE) | crc32(length bytes + payload) (u32 BE) | payload (UTF-8 JSON)
 *
 * `FF FE` never occurs in UTF-8, so a record start can be told from payload bytes when the
 * log is scanned for damage. Appends are written as one `write` and made durable with
 * `fdatasync` before they resolve; the writer's group commit makes that one sync per batch.
 *
 * At open, every record is checked. A damaged or incomplete stretch with no valid record
 * after it is the tail of a write a crash interrupted — never acknowledged, since nothing is
 * acknowledged before its sync — and is cut off (`onTornTail` says what was dropped). Damage
 * followed by a valid record is corruption of acknowledged data: the log refuses to open,
 * naming the byte offset, rather than drop or skip commits.
 */
export interface FileCommitJournal extends CommitJournal {
  readonly path: string
  /** Bytes in the log (all of them valid records). */
  readonly size: number
  close(): Promise<void>
}

export interface TornTail {
  /** Byte offset where the incomplete record starts (the log's new length). */
  offset: number
  /** Bytes dropped. */
  bytes: number
}

/** The log holds damaged data before valid records, or commits out of order: it is not opened. */
export class CorruptEventLogError extends Error {
  readonly code = 'DATA_DIR.CORRUPT_LOG'
  constructor(
    readonly path: string,
    readonly offset: number,
    reason: string,
  ) {
    super(
      `the event log ${path} is damaged at byte offset ${offset} (${reason}): refusing to start rather than ` +
        'lose or skip acknowledged commits. Restore DATA_DIR from a backup, or move the file aside to inspect it.',
    )
    this.name = 'CorruptEventLogError'
  }
}

const MAGIC = 0xfffe
const HEADER_BYTES = 10
/** No commit comes near this (at most 100 events of bounded payloads); a larger length is damage. */
const MAX_RECORD_BYTES = 64 * 1024 * 1024
const READ_CHUNK_BYTES = 4 * 1024 * 1024

/** One record's bytes. */
export function encodeRecord(payload: string): Buffer {
  const body = Buffer.from(payload, 'utf8')
  const record = Buffer.allocUnsafe(HEADER_BYTES + body.length)
  record.writeUInt16BE(MAGIC, 0)
  record.writeUInt32BE(body.length, 2)
  body.copy(record, HEADER_BYTES)
  record.writeUInt32BE(checksum(record, 2, body.length), 6)
  return record
}

/** CRC-32 over the length field and the payload (a damaged length then fails the check too). */
function checksum(buffer: Buffer, lengthAt: number, length: number): number {
  return crc32(buffer.subarray(lengthAt + 8, lengthAt + 8 + length), crc32(buffer.subarray(lengthAt, lengthAt + 4)))
}

/**
 * Opens (creating if need be) the log at `path`, calls `onRecord` with each stored record's
 * payload in order, cuts off a torn tail, and returns the journal that appends to it.
 * Throws `CorruptEventLogError` for damage before valid records.
 */
export async function openFileCommitJournal(
  path: string,
  onRecord: (payload: string) => void,
  onTornTail: (tail: TornTail) => void,
): Promise<FileCommitJournal> {
  const created = await open(path, constants.O_RDWR | constants.O_CREAT | constants.O_EXCL, 0o600).then(
    async (handle) => {
      await handle.close()
      await syncDirectory(dirname(path)) // the new name itself must survive a crash
      return true
    },
    (error: unknown) => {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false
      throw error
    },
  )
  const handle = await open(path, 'r+')
  try {
    let size = created ? 0 : await readRecords(handle, path, onRecord)
    const length = (await handle.stat()).size
    if (length > size) {
      onTornTail({ offset: size, bytes: length - size })
      await handle.truncate(size)
      await handle.sync()
    }
    return journalOn(
      handle,
      path,
      () => size,
      (next) => (size = next),
    )
  } catch (error) {
    await handle.close()
    throw error
  }
}

function journalOn(handle: FileHandle, path: string, size: () => number, setSize: (size: number) => void): FileCommitJournal {
  let failed: unknown
  return {
    path,
    get size() {
      return size()
    },
    async append(payloads) {
      if (failed !== undefined)
        throw new Error('the event log could not be written before; restart the service', { cause: failed })
      const bytes = Buffer.concat(payloads.map(encodeRecord))
      const at = size()
      try {
        for (let written = 0; written < bytes.length;) {
          const { bytesWritten } = await handle.write(bytes, written, bytes.length - written, at + written)
          written += bytesWritten
        }
        await handle.datasync()
        setSize(at + bytes.length)
      } catch (error) {
        // Whatever part of the batch reached the file must not stay: the next batch would follow garbage.
        await handle
          .truncate(at)
          .then(() => handle.sync())
          .catch((truncateError: unknown) => {
            failed = truncateError
          })
        throw error
      }
    },
    close: () => handle.close(),
  }
}

/** Reads every valid record in order; returns the offset after the last one. */
async function readRecords(handle: FileHandle, path: string, onRecord: (payload: string) => void): Promise<number> {
  const fileSize = (await handle.stat()).size
  let buffer = Buffer.alloc(0)
  /** File offset of `buffer[0]`. */
  let base = 0
  let offset = 0
  let eof = false
  for (;;) {
    const at = offset - base
    const available = buffer.length - at
    let need = HEADER_BYTES
    if (available >= HEADER_BYTES && buffer.readUInt16BE(at) === MAGIC && buffer.readUInt32BE(at + 2) <= MAX_RECORD_BYTES) {
      need += buffer.readUInt32BE(at + 2)
    }
    if (available < need && !eof) {
      // Keep the unread part and read on: at least a chunk, and at least the whole record.
      const rest = buffer.subarray(at)
      const wanted = Math.max(READ_CHUNK_BYTES, need)
      const chunk = Buffer.allocUnsafe(rest.length + wanted)
      rest.copy(chunk)
      const { bytesRead } = await handle.read(chunk, rest.length, wanted, offset + rest.length)
      eof = bytesRead === 0 || offset + rest.length + bytesRead >= fileSize
      buffer = chunk.subarray(0, rest.length + bytesRead)
      base = offset
      continue
    }
    if (available === 0) return offset
    const problem = recordProblem(buffer, at)
    if (problem !== undefined) {
      const nextValid = await findValidRecord(handle, offset + 1, fileSize)
      if (nextValid !== undefined) {
        throw new CorruptEventLogError(path, offset, `${problem}; valid records follow at byte offset ${nextValid}`)
      }
      return offset // a torn tail
    }
    const length = buffer.readUInt32BE(at + 2)
    try {
      onRecord(buffer.toString('utf8', at + HEADER_BYTES, at + HEADER_BYTES + length))
    } catch (error) {
      // A record with a valid checksum that does not fit the log: written wrong, never torn.
      throw new CorruptEventLogError(path, offset, (error as Error).message)
    }
    offset += HEADER_BYTES + length
  }
}

/** Why the bytes at `at` are not a whole valid record, or undefined if they are one. */
function recordProblem(buffer: Buffer, at: number): string | undefined {
  if (buffer.length - at < HEADER_BYTES) return 'incomplete record header'
  if (buffer.readUInt16BE(at) !== MAGIC) return 'no record starts there'
  const length = buffer.readUInt32BE(at + 2)
  if (length > MAX_RECORD_BYTES) return `impossible record length ${length}`
  if (buffer.length - at < HEADER_BYTES + length) return 'incomplete record'
  if (checksum(buffer, at + 2, length) !== buffer.readUInt32BE(at + 6)) return 'checksum mismatch'
  return undefined
}

/** The offset of the first whole valid record at or after `from`, if any. */
async function findValidRecord(handle: FileHandle, from: number, fileSize: number): Promise<number | undefined> {
  const window = Buffer.allocUnsafe(READ_CHUNK_BYTES)
  for (let start = from; start < fileSize - HEADER_BYTES; start += READ_CHUNK_BYTES - 1) {
    const { bytesRead } = await handle.read(window, 0, READ_CHUNK_BYTES, start)
    for (let i = window.indexOf(0xff, 0); i !== -1 && i < bytesRead - 1; i = window.indexOf(0xff, i + 1)) {
      if (window[i + 1] !== 0xfe) continue
      const candidate = start + i
      const header = Buffer.allocUnsafe(HEADER_BYTES)
      await handle.read(header, 0, HEADER_BYTES, candidate)
      const length = header.readUInt32BE(2)
      if (length > MAX_RECORD_BYTES || candidate + HEADER_BYTES + length > fileSize) continue
      const record = Buffer.allocUnsafe(HEADER_BYTES + length)
      await handle.read(record, 0, record.length, candidate)
      if (recordProblem(record, 0) === undefined) return candidate
    }
  }
  return undefined
}
