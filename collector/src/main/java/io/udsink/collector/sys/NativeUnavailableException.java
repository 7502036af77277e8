package io.udsink.collector.sys;

/** The native layer cannot run here: another OS, architecture or C library. */
public final class NativeUnavailableException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  NativeUnavailableException(String message, Throwable cause) {
    super(message, cause);
  }
}
