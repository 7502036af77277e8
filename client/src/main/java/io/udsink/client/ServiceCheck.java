package io.udsink.client;

import java.util.List;
import java.util.Objects;

/**
 * A DogStatsD service check.
 *
 * @param name the check's name
 * @param status its status
 * @param timestampSeconds unix seconds, or null
 * @param hostname or null
 * @param message or null (sent last; newlines are sent as {@code \n})
 * @param tags the check's tags
 */
public record ServiceCheck(
    String name,
    Status status,
    Long timestampSeconds,
    String hostname,
    String message,
    List<String> tags) {

  /** Service check statuses and their wire values. */
  public enum Status {
    /** 0. */
    OK,
    /** 1. */
    WARNING,
    /** 2. */
    CRITICAL,
    /** 3. */
    UNKNOWN
  }

  /** Validates. */
  public ServiceCheck {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(status, "status");
    tags = tags == null ? List.of() : List.copyOf(tags);
  }

  /**
   * A check with a status and optional message, tags.
   *
   * @param name the check's name
   * @param status its status
   * @param message or null
   * @param tags its tags
   * @return the check
   */
  public static ServiceCheck of(String name, Status status, String message, String... tags) {
    return new ServiceCheck(name, status, null, null, message, List.of(tags));
  }
}
