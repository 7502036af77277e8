package io.udsink.collector.cli;

import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** Parses a file mode written in octal, such as {@code 0660} or {@code 660}. */
public final class OctalMode implements ITypeConverter<Integer> {
  @Override
  public Integer convert(String value) {
    try {
      int mode = Integer.parseInt(value, 8);
      if (mode < 0 || mode > 0777) {
        throw new NumberFormatException();
      }
      return mode;
    } catch (NumberFormatException e) {
      throw new TypeConversionException(
          "'" + value + "' is not an octal file mode between 0000 and 0777 (example: 0660)");
    }
  }
}
