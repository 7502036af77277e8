package io.udsink.collector;

/**
 * An error that udsink reports to the operator as one clear sentence (a bad flag, a path it
 * refuses to bind, a socket already in use) rather than a stack trace. The command line prints
 * the message and exits non-zero.
 */
public class UdsinkException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception.
   *
   * @param message the sentence shown to the operator
   */
  public UdsinkException(String message) {
    super(message);
  }

  /**
   * Creates the exception with a cause.
   *
   * @param message the sentence shown to the operator
   * @param cause the underlying error
   */
  public UdsinkException(String message, Throwable cause) {
    super(message, cause);
  }
}
