package io.udsink.collector.parse;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

/** Tags of a line: split, sorted by their bytes, repeats dropped, in both the text and JSON forms. */
final class Tags {
  private Tags() {}

  /**
   * Adds the comma-separated tags of {@code b[s, e)} to the line's tag offsets.
   *
   * @param count tags the line has so far
   * @return tags it has now, or -1 when more than {@link StatsdParser#MAX_TAGS}
   */
  static int split(MetricLine line, byte[] b, int s, int e, int count) {
    int ts = s;
    while (ts <= e) {
      int te = Bytes.indexOf(b, (byte) ',', ts, e);
      if (te < 0) {
        te = e;
      }
      if (te > ts && b[ts] == '#') {
        ts++; // |#a:x,#b:y, as some clients write them
      }
      if (te > ts && !reserved(b, ts, te)) {
        if (count == StatsdParser.MAX_TAGS) {
          return -1;
        }
        line.tagStarts[count] = ts;
        line.tagEnds[count] = te;
        count++;
      }
      ts = te + 1;
    }
    return count;
  }

  private static final byte[][] RESERVED = {
    "dd.internal.entity_id:".getBytes(StandardCharsets.US_ASCII),
    "dd.internal.card:".getBytes(StandardCharsets.US_ASCII)
  };

  /**
   * The Datadog Agent's reserved tags, which say where a datagram came from and how many tags to
   * add: never tags of a series (a pod's uid would become a label).
   */
  private static boolean reserved(byte[] b, int s, int e) {
    if (e - s < 17 || b[s] != 'd' || b[s + 1] != 'd' || b[s + 2] != '.') {
      return false;
    }
    for (byte[] r : RESERVED) {
      if (e - s >= r.length && Arrays.equals(b, s, s + r.length, r, 0, r.length)) {
        return true;
      }
    }
    return false;
  }

  /**
   * Keeps, of tags that share a key ({@code env:a,env:b}), the last in the line, as
   * statsd_exporter does; tags without a value are left as they are.
   *
   * @return how many tags remain, in line order
   */
  static int lastOfEachKey(MetricLine line, byte[] b, int n) {
    if (n < 2) {
      return n;
    }
    int[] starts = line.tagStarts;
    int[] ends = line.tagEnds;
    int[] keys = line.tagKeyEnds;
    for (int i = 0; i < n; i++) {
      keys[i] = Bytes.indexOf(b, (byte) ':', starts[i], ends[i]);
    }
    int out = n;
    for (int i = n - 2; i >= 0; i--) {
      if (keys[i] < 0) {
        continue;
      }
      for (int j = i + 1; j < out; j++) {
        if (keys[j] - starts[j] == keys[i] - starts[i]
            && Bytes.compare(b, starts[i], keys[i], starts[j], keys[j]) == 0) {
          System.arraycopy(starts, i + 1, starts, i, out - i - 1);
          System.arraycopy(ends, i + 1, ends, i, out - i - 1);
          System.arraycopy(keys, i + 1, keys, i, out - i - 1);
          out--;
          break;
        }
      }
    }
    return out;
  }

  /**
   * Sorts the line's first {@code n} tags by their bytes (insertion sort: lines carry few tags)
   * and drops repeats.
   *
   * @return how many remain
   */
  static int sort(MetricLine line, byte[] b, int n) {
    int[] tagStarts = line.tagStarts;
    int[] tagEnds = line.tagEnds;
    for (int i = 1; i < n; i++) {
      int s = tagStarts[i];
      int e = tagEnds[i];
      int j = i - 1;
      if (Bytes.compare(b, tagStarts[j], tagEnds[j], s, e) <= 0) {
        continue;
      }
      while (j >= 0 && Bytes.compare(b, tagStarts[j], tagEnds[j], s, e) > 0) {
        tagStarts[j + 1] = tagStarts[j];
        tagEnds[j + 1] = tagEnds[j];
        j--;
      }
      tagStarts[j + 1] = s;
      tagEnds[j + 1] = e;
    }
    int out = 0;
    for (int i = 0; i < n; i++) {
      if (out > 0
          && Bytes.compare(b, tagStarts[out - 1], tagEnds[out - 1], tagStarts[i], tagEnds[i])
              == 0) {
        continue;
      }
      tagStarts[out] = tagStarts[i];
      tagEnds[out] = tagEnds[i];
      out++;
    }
    return out;
  }

  /** Adds the comma-separated tags of {@code b[s, e)} to a list (events, service checks). */
  static void add(byte[] b, int s, int e, List<String> out) {
    for (String t : Bytes.str(b, s, e).split(",")) {
      if (!t.isEmpty()) {
        out.add(t);
      }
    }
  }

  /** The tags sorted by their UTF-8 bytes, as a metric line's are, repeats dropped. */
  static List<String> sortedDistinct(List<String> tags) {
    if (tags.isEmpty()) {
      return List.of();
    }
    return tags.stream().distinct().sorted(Tags::compareUtf8).toList();
  }

  static int compareUtf8(String a, String b) {
    return Arrays.compareUnsigned(
        a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));
  }
}
