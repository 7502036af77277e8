package io.udsink.collector.transport;

import io.udsink.collector.UsageException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Objects;

/**
 * Where a socket is bound: a file system path, or a name in Linux's abstract namespace written
 * {@code @name}.
 */
public final class SocketSpec {
  /** Bytes that {@code sun_path} holds on Linux, not counting the terminating NUL. */
  public static final int MAX_PATH_BYTES = 107;

  private final String text;
  private final Path path;
  private final String abstractName;

  private SocketSpec(String text, Path path, String abstractName) {
    this.text = text;
    this.path = path;
    this.abstractName = abstractName;
  }

  /**
   * Parses a socket argument: {@code @name} for the abstract namespace, anything else a path.
   *
   * @param text the argument as given
   * @return the spec
   * @throws UsageException when the argument is empty or too long for {@code sun_path}
   */
  public static SocketSpec parse(String text) {
    Objects.requireNonNull(text, "text");
    if (text.isEmpty() || "@".equals(text)) {
      throw new UsageException("socket: empty path");
    }
    if (text.indexOf('\0') >= 0) {
      throw new UsageException("socket " + printable(text) + ": contains a NUL byte");
    }
    int bytes = text.getBytes(StandardCharsets.UTF_8).length;
    if (text.startsWith("@")) {
      // The leading NUL of an abstract address takes the place of the '@'.
      if (bytes > MAX_PATH_BYTES) {
        throw new UsageException(
            "socket "
                + text
                + ": abstract name is "
                + (bytes - 1)
                + " bytes; Linux allows at most "
                + (MAX_PATH_BYTES - 1));
      }
      return new SocketSpec(text, null, text.substring(1));
    }
    if (bytes > MAX_PATH_BYTES) {
      throw new UsageException(
          "socket "
              + text
              + ": path is "
              + bytes
              + " bytes; a Unix socket path holds at most "
              + MAX_PATH_BYTES
              + " bytes (sun_path); use a shorter path or an @abstract name");
    }
    return new SocketSpec(text, Path.of(text), null);
  }

  /** True for an {@code @name} in the abstract namespace (no file). */
  public boolean isAbstract() {
    return abstractName != null;
  }

  /** The file system path, or {@code null} for an abstract name. */
  public Path path() {
    return path;
  }

  /** The abstract name without its {@code @}, or {@code null} for a path. */
  public String abstractName() {
    return abstractName;
  }

  @Override
  public String toString() {
    return text;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof SocketSpec && ((SocketSpec) o).text.equals(text);
  }

  @Override
  public int hashCode() {
    return text.hashCode();
  }

  private static String printable(String s) {
    return s.replace("\0", "\\0");
  }
}
