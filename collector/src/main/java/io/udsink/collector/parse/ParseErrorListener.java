package io.udsink.collector.parse;

/** Told about every rejected line, with the bytes that show why. */
public interface ParseErrorListener {
  /**
   * A rejected line.
   *
   * @param reason why
   * @param line the bytes
   * @param start where the line starts
   * @param end where it ends (exclusive)
   */
  void onParseError(ParseError reason, byte[] line, int start, int end);
}
