package io.udsink.collector.aggregate;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * Open-addressing hash table of entries keyed by bytes, looked up by a key held in a scratch
 * array so that a hit allocates nothing. Single-threaded.
 *
 * @param <E> the entry type
 */
final class KeyTable<E extends KeyTable.Entry> {
  /** An entry: its own copy of the key bytes, and their hash. */
  abstract static class Entry {
    final byte[] key;
    final long hash;

    Entry(byte[] key, long hash) {
      this.key = key;
      this.hash = hash;
    }
  }

  private static final VarHandle LONGS =
      MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

  private Entry[] slots;
  private int size;

  KeyTable(int expected) {
    int cap = Integer.highestOneBit(Math.max(16, expected * 2 - 1)) << 1;
    slots = new Entry[cap];
  }

  int size() {
    return size;
  }

  @SuppressWarnings("unchecked")
  E get(byte[] key, int len, long hash) {
    Entry[] s = slots;
    int mask = s.length - 1;
    for (int i = (int) hash & mask; ; i = (i + 1) & mask) {
      Entry e = s[i];
      if (e == null) {
        return null;
      }
      if (e.hash == hash && e.key.length == len && Arrays.equals(e.key, 0, len, key, 0, len)) {
        return (E) e;
      }
    }
  }

  void put(E entry) {
    if ((size + 1) * 2 > slots.length) {
      grow();
    }
    insert(slots, entry);
    size++;
  }

  private static void insert(Entry[] s, Entry entry) {
    int mask = s.length - 1;
    int i = (int) entry.hash & mask;
    while (s[i] != null) {
      i = (i + 1) & mask;
    }
    s[i] = entry;
  }

  private void grow() {
    Entry[] bigger = new Entry[slots.length * 2];
    for (Entry e : slots) {
      if (e != null) {
        insert(bigger, e);
      }
    }
    slots = bigger;
  }

  /** The entries, in no particular order. */
  @SuppressWarnings("unchecked")
  E[] toArray(E[] empty) {
    E[] out = Arrays.copyOf(empty, size);
    int n = 0;
    for (Entry e : slots) {
      if (e != null) {
        out[n++] = (E) e;
      }
    }
    return out;
  }

  /**
   * A 64-bit hash of {@code b[0, len)}: eight bytes at a time, then a final avalanche.
   */
  static long hash(byte[] b, int len) {
    return hash(b, 0, len);
  }

  /** A 64-bit hash of {@code b[from, from + len)}, as {@link #hash(byte[], int)}. */
  static long hash(byte[] b, int from, int len) {
    long h = 0x9E3779B97F4A7C15L ^ len;
    int i = from;
    int end = from + len;
    for (; i + 8 <= end; i += 8) {
      long k = (long) LONGS.get(b, i);
      h = Long.rotateLeft(h ^ (k * 0xC2B2AE3D27D4EB4FL), 31) * 0x9E3779B97F4A7C15L;
    }
    long tail = 0;
    for (int shift = 0; i < end; i++, shift += 8) {
      tail |= (b[i] & 0xffL) << shift;
    }
    h = Long.rotateLeft(h ^ (tail * 0xC2B2AE3D27D4EB4FL), 31) * 0x9E3779B97F4A7C15L;
    h ^= h >>> 33;
    h *= 0xFF51AFD7ED558CCDL;
    h ^= h >>> 33;
    h *= 0xC4CEB9FE1A85EC53L;
    h ^= h >>> 33;
    return h;
  }
}
