/**
 * One scheduled event, which is also the caller's handle to it (one allocation per event).
 * Models ns-3's EventImpl + EventId: cancelling only marks the event; the queue drops it when
 * it reaches the top (lazy cancellation, ns-3 `Simulator::Cancel`), so cancel is O(1).
 */

/** What `schedule()` returns: enough to cancel an event or ask about it, nothing more. */
export interface EventHandle {
  /** Absolute virtual time (ns) at which the event runs. */
  readonly time: number;
  /** Insertion sequence: breaks ties between events at the same time (FIFO). */
  readonly seq: number;
  /** True until the event has run or been cancelled. */
  readonly pending: boolean;
  /** Prevent the event from running. Cancelling a run or cancelled event does nothing. */
  cancel(): void;
}

/** Told when an event is cancelled, so the queue can keep an exact pending count. */
export interface CancelListener {
  onCancel(ev: SimEvent): void;
}

export class SimEvent implements EventHandle {
  /** null once the event has run or was cancelled. */
  fn: (() => void) | null;

  constructor(
    readonly time: number,
    readonly seq: number,
    fn: () => void,
    private readonly owner: CancelListener,
  ) {
    this.fn = fn;
  }

  get pending(): boolean {
    return this.fn !== null;
  }

  cancel(): void {
    if (this.fn === null) return;
    this.fn = null;
    this.owner.onCancel(this);
  }
}
