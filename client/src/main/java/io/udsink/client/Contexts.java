package io.udsink.client;

import java.util.Arrays;
import java.util.LinkedHashSet;

/**
 * The client-side aggregation's contexts: one per metric type, name, sample rate and tags, in an
 * open-addressing table. Counters add, gauges keep the last value, sets unite; timers,
 * histograms and distributions keep their samples until the flush packs them into multi-value
 * lines.
 *
 * <p>Each emitting thread has a table of its own for counters, gauges and sets
 * ({@link #owner}), which it updates under the table's monitor: uncontended but for the moment
 * the client's thread takes the table's sums at a flush. The client's thread has one more, where
 * the threads' sums meet and the samples wait; only it touches that one.
 */
final class Contexts {
  /** The thread that emits into this table, or null for the client thread's own. */
  final java.lang.ref.WeakReference<Thread> owner;

  /** Set once the client took its last sums: later emits into it are counted as dropped. */
  boolean sealed;

  /** Samples its contexts hold (an emitting thread's table); reset when they are taken. */
  int heldSamples;

  /** The owner's copy of the tags of the emit in progress (see DefaultUdsinkClient#stage). */
  final String[] scratch = new String[16];

  /** One aggregated series. */
  static final class Context {
    final byte kind;
    final String name;
    final double rate;
    final Tags tagSet;
    final String[] tags;
    final int hash;
    byte[] suffix; // "|type[|@rate][|#tags][origin]", made at the first flush
    long count;
    double doubleCount;
    double gauge;
    long gaugeNs; // when the gauge was set, to pick the last of several threads' values
    boolean touched;
    LinkedHashSet<String> members;
    double[] samples;
    double[] spare; // the client thread's: swapped in for samples at a flush
    int sampleCount;
    int idleFlushes;

    Context(byte kind, String name, double rate, Tags tagSet, String[] tags, int hash) {
      this.kind = kind;
      this.name = name;
      this.rate = rate;
      this.tagSet = tagSet;
      this.tags = tags;
      this.hash = hash;
    }
  }

  private Context[] table = new Context[64];
  private int size;
  private final int max;

  /**
   * Creates the table.
   *
   * @param max most contexts kept; beyond it emits are sent as they come
   */
  Contexts(int max) {
    this(max, null);
  }

  /**
   * Creates an emitting thread's table.
   *
   * @param max most contexts kept; beyond it emits go through the ring
   * @param owner the thread
   */
  Contexts(int max, Thread owner) {
    this.max = max;
    this.owner = owner == null ? null : new java.lang.ref.WeakReference<>(owner);
  }

  int size() {
    return size;
  }

  static int hash(byte kind, String name, double rate, Tags tagSet, String[] tags, int n) {
    int h = mix(name.hashCode()) * 31 + kind;
    h = h * 31 + Double.hashCode(rate);
    if (tagSet != null) {
      h = h * 31 + System.identityHashCode(tagSet);
    } else {
      for (int i = 0; i < n; i++) {
        h = h * 31 + (tags[i] == null ? 0 : mix(tags[i].hashCode()));
      }
    }
    return mix(h);
  }

  private static int mix(int h) {
    h ^= h >>> 16;
    h *= 0x85EBCA6B;
    h ^= h >>> 13;
    h *= 0xC2B2AE35;
    h ^= h >>> 16;
    return h;
  }

  /**
   * The context of a slot's series, made when new; null when the table is full.
   *
   * @param tags the slot's tags (inline or more), {@code n} of them, when it has no tag set
   */
  Context get(byte kind, String name, double rate, Tags tagSet, String[] tags, int n) {
    int h = hash(kind, name, rate, tagSet, tags, n);
    Context c = find(h, kind, name, rate, tagSet, tags, n);
    return c != null
        ? c
        : insert(h, kind, name, rate, tagSet, tagSet == null ? Arrays.copyOf(tags, n) : null);
  }

  /** The context, or null: small, so that it inlines and a caller's tag array never escapes. */
  Context find(int h, byte kind, String name, double rate, Tags tagSet, String[] tags, int n) {
    Context[] t = table;
    int mask = t.length - 1;
    for (int i = h & mask; ; i = (i + 1) & mask) {
      Context c = t[i];
      if (c == null) {
        return null;
      }
      if (c.hash == h
          && c.kind == kind
          && c.rate == rate
          && c.name.equals(name)
          && sameTags(c, tagSet, tags, n)) {
        return c;
      }
    }
  }

  /** Makes a context (its tags already copied); null when the table is full. */
  Context insert(int h, byte kind, String name, double rate, Tags tagSet, String[] ownTags) {
    if (size >= max) {
      return null;
    }
    Context c = new Context(kind, name, rate, tagSet, ownTags, h);
    int mask = table.length - 1;
    int i = h & mask;
    while (table[i] != null) {
      i = (i + 1) & mask;
    }
    table[i] = c;
    if (++size * 2 > table.length) {
      resize(table.length * 2);
    }
    return c;
  }

  private static boolean sameTags(Context c, Tags tagSet, String[] tags, int n) {
    if (tagSet != null || c.tagSet != null) {
      return c.tagSet == tagSet;
    }
    if (c.tags.length != n) {
      return false;
    }
    for (int i = 0; i < n; i++) {
      if (!java.util.Objects.equals(c.tags[i], tags[i])) {
        return false;
      }
    }
    return true;
  }

  private void resize(int capacity) {
    Context[] old = table;
    table = new Context[capacity];
    int mask = capacity - 1;
    for (Context c : old) {
      if (c != null) {
        int i = c.hash & mask;
        while (table[i] != null) {
          i = (i + 1) & mask;
        }
        table[i] = c;
      }
    }
  }

  /** Calls {@code each} on every context, then drops those idle for {@code idleLimit} flushes. */
  void forEach(java.util.function.Consumer<Context> each, int idleLimit) {
    boolean removed = false;
    for (int i = 0; i < table.length; i++) {
      Context c = table[i];
      if (c == null) {
        continue;
      }
      each.accept(c);
      if (c.idleFlushes > idleLimit) {
        table[i] = null;
        size--;
        removed = true;
      }
    }
    if (removed) {
      resize(table.length); // re-place the others: open addressing has no holes
    }
  }
}
