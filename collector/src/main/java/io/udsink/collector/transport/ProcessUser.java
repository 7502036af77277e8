package io.udsink.collector.transport;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The user and group udsink runs as, read from {@code /proc/self}. */
public final class ProcessUser {
  private static final Path SELF = Path.of("/proc/self");

  private ProcessUser() {}

  /** The effective user id. */
  public static int uid() {
    return attr("unix:uid");
  }

  /** The effective group id. */
  public static int gid() {
    return attr("unix:gid");
  }

  private static int attr(String name) {
    try {
      return (Integer) Files.getAttribute(SELF, name);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + SELF, e);
    }
  }
}
