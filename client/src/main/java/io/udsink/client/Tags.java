package io.udsink.client;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A reusable, pre-encoded set of tags. Emitting with a {@code Tags} instead of {@code String...}
 * allocates nothing per call (a varargs call allocates its array) and skips encoding the tags
 * again: keep one per tag combination and reuse it.
 *
 * <pre>
 *   static final Tags API = Tags.of("env:prod", "route:/users");
 *   client.count("requests", 1, API);
 * </pre>
 */
public final class Tags {
  /** No tags. */
  public static final Tags EMPTY = new Tags(List.of());

  private final List<String> tags;
  final byte[] encoded;

  private Tags(List<String> tags) {
    this.tags = List.copyOf(tags);
    StringBuilder sb = new StringBuilder();
    for (String t : this.tags) {
      if (sb.length() > 0) {
        sb.append(',');
      }
      sb.append(
          new String(
              LineFormatter.encode(t, LineFormatter.TAG), java.nio.charset.StandardCharsets.UTF_8));
    }
    this.encoded = LineFormatter.encode(sb.toString(), LineFormatter.RAW);
  }

  /**
   * Tags from {@code "key:value"} or bare strings; null and empty ones are skipped.
   *
   * @param tags the tags
   * @return the tag set
   */
  public static Tags of(String... tags) {
    List<String> list = new ArrayList<>(tags.length);
    for (String t : tags) {
      if (t != null && !t.isEmpty()) {
        list.add(t);
      }
    }
    return new Tags(list);
  }

  /**
   * {@code {env=prod, canary=null}} becomes {@code env:prod,canary}: a null or empty value makes a
   * bare tag.
   *
   * @param tags keys and values
   * @return the tag set
   */
  public static Tags of(Map<String, String> tags) {
    List<String> list = new ArrayList<>(tags.size());
    for (Map.Entry<String, String> e : tags.entrySet()) {
      String v = e.getValue();
      list.add(v == null || v.isEmpty() ? e.getKey() : e.getKey() + ":" + v);
    }
    return new Tags(list);
  }

  /** The tags as given. */
  public List<String> asList() {
    return tags;
  }

  @Override
  public String toString() {
    return String.join(",", tags);
  }
}
