package io.udsink.client;

import java.util.List;
import java.util.Objects;

/**
 * A DogStatsD event. Build with {@link #builder(String, String)}.
 *
 * @param title the title (required)
 * @param text the text (required; newlines are sent as {@code \n})
 * @param timestampSeconds unix seconds, or null for "when received"
 * @param hostname or null
 * @param aggregationKey or null
 * @param priority {@code normal} or {@code low}, or null
 * @param sourceType or null
 * @param alertType {@code error}, {@code warning}, {@code info} or {@code success}, or null
 * @param tags the event's tags
 */
public record Event(
    String title,
    String text,
    Long timestampSeconds,
    String hostname,
    String aggregationKey,
    String priority,
    String sourceType,
    String alertType,
    List<String> tags) {

  /** Validates. */
  public Event {
    Objects.requireNonNull(title, "title");
    Objects.requireNonNull(text, "text");
    tags = tags == null ? List.of() : List.copyOf(tags);
  }

  /**
   * Starts an event.
   *
   * @param title the title
   * @param text the text
   * @return a builder
   */
  public static Builder builder(String title, String text) {
    return new Builder(title, text);
  }

  /** Builds an {@link Event}. */
  public static final class Builder {
    private final String title;
    private final String text;
    private Long timestamp;
    private String hostname;
    private String aggregationKey;
    private String priority;
    private String sourceType;
    private String alertType;
    private List<String> tags = List.of();

    private Builder(String title, String text) {
      this.title = title;
      this.text = text;
    }

    /** Unix seconds. */
    public Builder timestamp(long seconds) {
      this.timestamp = seconds;
      return this;
    }

    /** The host. */
    public Builder hostname(String hostname) {
      this.hostname = hostname;
      return this;
    }

    /** Groups events. */
    public Builder aggregationKey(String key) {
      this.aggregationKey = key;
      return this;
    }

    /** {@code normal} or {@code low}. */
    public Builder priority(String priority) {
      this.priority = priority;
      return this;
    }

    /** The source type name. */
    public Builder sourceType(String sourceType) {
      this.sourceType = sourceType;
      return this;
    }

    /** {@code error}, {@code warning}, {@code info} or {@code success}. */
    public Builder alertType(String alertType) {
      this.alertType = alertType;
      return this;
    }

    /** Tags as {@code "key:value"} or bare strings. */
    public Builder tags(String... tags) {
      this.tags = List.of(tags);
      return this;
    }

    /** The event. */
    public Event build() {
      return new Event(
          title, text, timestamp, hostname, aggregationKey, priority, sourceType, alertType, tags);
    }
  }
}
