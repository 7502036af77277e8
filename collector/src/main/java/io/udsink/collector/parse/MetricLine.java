package io.udsink.collector.parse;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * One parsed metric line, as a reusable view over the bytes it came from (a flyweight): the parser
 * fills it and hands it to a {@link MetricSink}, then fills it again for the next line. Nothing in
 * it may be kept past the call; copy what must outlive it.
 *
 * <pre>
 *   bytes: ... name ... value:value ... tag,tag ...
 *              ^    ^                  ^  ^
 *        nameStart nameEnd       tagStart(i) tagEnd(i)        (sets: memberStart(i), memberEnd(i))
 * </pre>
 *
 * Tags are sorted by their bytes and distinct. Values are finite; a JSON line refers to a scratch
 * array the parser built from the JSON document, in the same layout.
 */
public final class MetricLine {
  byte[] bytes;
  int nameStart;
  int nameEnd;
  MetricType type;
  double[] values = new double[16];
  boolean[] deltas = new boolean[16];
  int[] memberStarts = new int[16];
  int[] memberEnds = new int[16];
  int valueCount;
  double sampleRate = 1;
  final int[] tagStarts = new int[StatsdParser.MAX_TAGS];
  final int[] tagEnds = new int[StatsdParser.MAX_TAGS];

  /** Where each tag's key ends (its {@code :}), or -1: scratch of {@link Tags#lastOfEachKey}. */
  final int[] tagKeyEnds = new int[StatsdParser.MAX_TAGS];

  int tagCount;
  boolean json;

  /** DogStatsD 1.3's {@code |T}, in epoch milliseconds, for counters and gauges; 0 for none. */
  long timestampMs;

  void ensureValues(int n) {
    if (values.length < n) {
      int cap = Math.max(n, values.length * 2);
      values = Arrays.copyOf(values, cap);
      deltas = Arrays.copyOf(deltas, cap);
      memberStarts = Arrays.copyOf(memberStarts, cap);
      memberEnds = Arrays.copyOf(memberEnds, cap);
    }
  }

  /** The bytes every offset refers to. */
  public byte[] bytes() {
    return bytes;
  }

  /** Where the name starts in {@link #bytes()}. */
  public int nameStart() {
    return nameStart;
  }

  /** Where the name ends (exclusive). */
  public int nameEnd() {
    return nameEnd;
  }

  /** Where tag {@code i} starts. */
  public int tagStart(int i) {
    return tagStarts[i];
  }

  /** Where tag {@code i} ends (exclusive). */
  public int tagEnd(int i) {
    return tagEnds[i];
  }

  /** Where member {@code i} of a set line starts. */
  public int memberStart(int i) {
    return memberStarts[i];
  }

  /** Where member {@code i} of a set line ends (exclusive). */
  public int memberEnd(int i) {
    return memberEnds[i];
  }

  /** The metric type. */
  public MetricType type() {
    return type;
  }

  /** The name, decoded (allocates). */
  public String name() {
    return new String(bytes, nameStart, nameEnd - nameStart, StandardCharsets.UTF_8);
  }

  /** Values on the line (members, for a set). */
  public int valueCount() {
    return valueCount;
  }

  /** Value {@code i}; unused for sets. */
  public double value(int i) {
    return values[i];
  }

  /** For gauges: whether value {@code i} adjusts the last value ({@code +n}, {@code -n}). */
  public boolean isDelta(int i) {
    return deltas[i];
  }

  /** For sets: member {@code i}, decoded (allocates). */
  public String member(int i) {
    return new String(
        bytes, memberStarts[i], memberEnds[i] - memberStarts[i], StandardCharsets.UTF_8);
  }

  /** The sample rate, in (0, 1]; 1 when absent. */
  public double sampleRate() {
    return sampleRate;
  }

  /** Tags on the line, after sorting and removing repeats. */
  public int tagCount() {
    return tagCount;
  }

  /** Tag {@code i}, decoded (allocates). */
  public String tag(int i) {
    return new String(bytes, tagStarts[i], tagEnds[i] - tagStarts[i], StandardCharsets.UTF_8);
  }

  /**
   * The sample's own time (DogStatsD 1.3 {@code |T}, counters and gauges only), in epoch
   * milliseconds; 0 when it has none and counts in the interval it arrives in.
   */
  public long timestampMs() {
    return timestampMs;
  }

  /** True for a line that came in a JSON datagram. */
  public boolean isJson() {
    return json;
  }
}
