package io.udsink.collector;

/**
 * A bad flag or value found after parsing (a number out of range, an address that does not
 * parse): reported like a parse error, with exit status 2.
 */
public class UsageException extends UdsinkException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception.
   *
   * @param message the sentence shown to the operator, naming the flag
   */
  public UsageException(String message) {
    super(message);
  }
}
