package io.udsink.collector.cli;

/** Parses a file mode written in octal, such as {@code 0660} or {@code 660}. */
public final class OctalMode {
  private OctalMode() {}

  /**
   * Parses the mode.
   *
   * @param value for example {@code 0660}
   * @return the mode, 0 to 0777
   * @throws IllegalArgumentException naming the value when it is not one
   */
  public static int parse(String value) {
    try {
      int mode = Integer.parseInt(value, 8);
      if (mode < 0 || mode > 0777) {
        throw new NumberFormatException();
      }
      return mode;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          "'" + value + "' is not an octal file mode between 0000 and 0777 (example: 0660)");
    }
  }
}
