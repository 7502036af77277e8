package io.udsink.collector.util;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Reads a line from {@code /proc}. Not {@code Files.readString}: procfs reports a size of 0, and
 * that read came back short here ({@code "1"} for a {@code max_dgram_qlen} of 10).
 */
public final class ProcFile {
  private ProcFile() {}

  /**
   * The first line, trimmed.
   *
   * @param path a procfs file
   * @return its first line, or null when it has none
   * @throws IOException when it cannot be read
   */
  public static String firstLine(Path path) throws IOException {
    try (BufferedReader r = Files.newBufferedReader(path)) {
      String line = r.readLine();
      return line == null ? null : line.trim();
    }
  }

  /**
   * The first line as a number.
   *
   * @param path a procfs file
   * @param fallback what to answer when it cannot be read or is not a number
   * @return the number
   */
  public static int intOr(Path path, int fallback) {
    try {
      String line = firstLine(path);
      return line == null ? fallback : Integer.parseInt(line);
    } catch (IOException | NumberFormatException e) {
      return fallback;
    }
  }
}
