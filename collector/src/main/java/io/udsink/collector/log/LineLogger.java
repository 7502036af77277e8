package io.udsink.collector.log;

import org.slf4j.Marker;
import org.slf4j.event.Level;
import org.slf4j.helpers.LegacyAbstractLogger;
import org.slf4j.helpers.MessageFormatter;

/** A named logger: formats the message SLF4J's way and hands it to {@link Log}. */
final class LineLogger extends LegacyAbstractLogger {
  private static final long serialVersionUID = 1L;

  LineLogger(String name) {
    this.name = name;
  }

  @Override
  public boolean isTraceEnabled() {
    return Log.enabled(Level.TRACE);
  }

  @Override
  public boolean isDebugEnabled() {
    return Log.enabled(Level.DEBUG);
  }

  @Override
  public boolean isInfoEnabled() {
    return Log.enabled(Level.INFO);
  }

  @Override
  public boolean isWarnEnabled() {
    return Log.enabled(Level.WARN);
  }

  @Override
  public boolean isErrorEnabled() {
    return Log.enabled(Level.ERROR);
  }

  @Override
  protected String getFullyQualifiedCallerName() {
    return null;
  }

  @Override
  protected void handleNormalizedLoggingCall(
      Level level, Marker marker, String pattern, Object[] arguments, Throwable throwable) {
    String message =
        arguments == null || arguments.length == 0
            ? String.valueOf(pattern)
            : MessageFormatter.basicArrayFormat(pattern, arguments);
    Log.write(level, name, message, throwable);
  }
}
