import type { FeedEvent, FeedStream, ReadEntry } from './feed-stream.js'

/** One connected client, whatever its transport. */
export interface FeedSubscriber {
  deliver(event: FeedEvent): void
  /** The client must reload over HTTP: what it missed is no longer available. */
  resync(reason: string): void
}

interface Member {
  subscriber: FeedSubscriber
  /** Events that arrived while its replay was read; delivered after the replay. */
  pending: FeedEvent[] | null
  last: number
}

/**
 * This instance's clients and the loop that feeds them: it reads the feed stream (Redis, or
 * memory when embedded) in position order and delivers every entry to every client, after
 * replaying what a resuming client missed. Positions are dense, so a client is told to
 * resynchronise exactly when the stream cannot give it the next one: an entry arrives after
 * a hole (the stream lost more than it keeps), or what was delivered lies beyond the event
 * store's head (the stream held another store's entries, and was emptied and refilled).
 */
export class FeedHub {
  private readonly members = new Set<Member>()
  private last = 0
  private stopped = false
  /** Set while the hub waits for its first client. */
  private resume: (() => void) | undefined
  private loop: Promise<void> | undefined

  constructor(
    private readonly stream: FeedStream,
    private readonly options: {
      onError: (error: unknown) => void
      /** The event store's last position. */
      head: () => Promise<number>
      blockMs?: number
    },
  ) {}

  /** Starts following the stream from its current end (found once the stream answers). */
  start(): void {
    this.loop = this.follow()
  }

  get clients(): number {
    return this.members.size
  }

  /** The last position this instance has delivered. */
  get position(): number {
    return this.last
  }

  /**
   * Adds a client. With `after`, it first receives every event after that position, in
   * order, then live ones — or `resync` if the stream no longer holds them all.
   * Returns the function that removes it.
   */
  async join(subscriber: FeedSubscriber, after?: number): Promise<() => void> {
    // A hub without clients does not read the stream: it starts again from the stream's end.
    if (this.resume) this.last = Math.max(this.last, await this.stream.lastPosition())
    const member: Member = { subscriber, pending: after === undefined ? null : [], last: after ?? this.last }
    this.members.add(member)
    this.resume?.()
    const leave = () => {
      this.members.delete(member)
    }
    if (after === undefined) return leave
    try {
      for (;;) {
        const missed = await this.stream.range(member.last, 500)
        if (missed === 'trimmed') {
          subscriber.resync('the position you resume from is no longer kept; reload over HTTP')
          member.last = this.last
          break
        }
        for (const { event } of missed) if (event) this.send(member, event)
        if (missed.length < 500) break
      }
    } finally {
      const pending = member.pending ?? []
      member.pending = null
      for (const event of pending) this.send(member, event)
    }
    return leave
  }

  async stop(): Promise<void> {
    this.stopped = true
    this.resume?.()
    await this.stream.close()
    await this.loop
  }

  private async follow(): Promise<void> {
    let started = false
    while (!this.stopped) {
      if (this.members.size === 0) {
        await new Promise<void>((resolve) => {
          this.resume = resolve
        })
        this.resume = undefined
        continue
      }
      try {
        if (!started) {
          this.last = Math.max(this.last, await this.stream.lastPosition())
          started = true
        }
        const entries = await this.stream.read(this.last, 500, this.options.blockMs ?? 5000)
        for (const entry of entries) this.publish(entry)
        if (entries.length === 0) await this.noticeReset()
      } catch (error) {
        if (this.isStopped()) return
        this.options.onError(error)
        await new Promise((resolve) => setTimeout(resolve, 1000))
      }
    }
  }

  /** Read through a call: `stop()` changes it while `follow` awaits. */
  private isStopped(): boolean {
    return this.stopped
  }

  /** While idle: positions delivered beyond the store's head were not this store's events. */
  private async noticeReset(): Promise<void> {
    const head = await this.options.head()
    if (this.last <= head) return
    this.last = head
    this.resyncAll('the event stream was reset; reload over HTTP')
  }

  private resyncAll(reason: string): void {
    for (const member of this.members) {
      member.subscriber.resync(reason)
      member.last = this.last
    }
  }

  /** Delivers an entry to every client; an invalid one (no event) only moves the position on. */
  private publish({ position, event }: ReadEntry): void {
    if (this.last > 0 && position > this.last + 1) {
      this.last = position - 1
      this.resyncAll('events before this one are no longer kept; reload over HTTP')
    }
    this.last = Math.max(this.last, position)
    if (!event) return
    for (const member of this.members) {
      if (member.pending) member.pending.push(event)
      else this.send(member, event)
    }
  }

  private send(member: Member, event: FeedEvent): void {
    if (event.position <= member.last) return
    member.last = event.position
    member.subscriber.deliver(event)
  }
}
