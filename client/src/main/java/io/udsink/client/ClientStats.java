package io.udsink.client;

import java.util.EnumMap;
import java.util.Map;

/**
 * A snapshot of what a client has done.
 *
 * @param datagramsSent datagrams the kernel accepted
 * @param linesSent lines in those datagrams
 * @param bytesSent bytes in those datagrams
 * @param dropped lines not delivered, by reason
 * @param reconnects times the client reconnected after the collector was unavailable
 * @param aggregatedContexts series the client-side aggregation holds now
 */
public record ClientStats(
    long datagramsSent,
    long linesSent,
    long bytesSent,
    Map<DropReason, Long> dropped,
    long reconnects,
    long aggregatedContexts) {

  /** Lines dropped for one reason. */
  public long dropped(DropReason reason) {
    return dropped.getOrDefault(reason, 0L);
  }

  /** Lines dropped for any reason. */
  public long droppedTotal() {
    long n = 0;
    for (long v : dropped.values()) {
      n += v;
    }
    return n;
  }

  static ClientStats of(
      long datagrams, long lines, long bytes, long[] drops, long reconnects, long contexts) {
    Map<DropReason, Long> m = new EnumMap<>(DropReason.class);
    for (DropReason r : DropReason.values()) {
      m.put(r, drops[r.ordinal()]);
    }
    return new ClientStats(datagrams, lines, bytes, Map.copyOf(m), reconnects, contexts);
  }
}
