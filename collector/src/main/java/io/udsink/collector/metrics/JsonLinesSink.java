package io.udsink.collector.metrics;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.udsink.collector.util.RateLimitedLog;

/**
 * Writes JSON lines to a file (appending) or to standard output, from the flusher's thread.
 *
 * <p>A failed write (file not writable, disk full, standard output closed) is counted and logged,
 * and the interval's lines are kept and written first at the next flush, up to
 * {@code maxPendingBytes}; beyond that the oldest are given up, counted and logged with their
 * number. A file is reopened after a failure, so a file that was moved away (log rotation) or a
 * directory that was fixed starts working again.
 */
public final class JsonLinesSink implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(JsonLinesSink.class);

  private final Path file;
  private final long maxPendingBytes;
  private final Telemetry telemetry;
  private final RateLimitedLog errorLog = new RateLimitedLog(LOG, TimeUnit.SECONDS.toNanos(10));
  private final Deque<JsonLines.Chunk> pending = new ArrayDeque<>();
  private long pendingBytes;
  private OutputStream out;

  /**
   * Creates the sink.
   *
   * @param file the file to append to, or {@code null} for standard output
   * @param maxPendingBytes most bytes kept for retry while the sink fails
   * @param telemetry where errors and given-up lines are counted
   */
  public JsonLinesSink(Path file, long maxPendingBytes, Telemetry telemetry) {
    this.file = file;
    this.maxPendingBytes = maxPendingBytes;
    this.telemetry = telemetry;
  }

  /** Where the lines go, for messages. */
  public String target() {
    return file == null ? "standard output" : file.toString();
  }

  /** Opens a file target now so that a bad path is reported at start-up. */
  public void open() throws IOException {
    if (file != null) {
      out = Files.newOutputStream(file, StandardOpenOption.CREATE, StandardOpenOption.APPEND,
          StandardOpenOption.WRITE);
    }
  }

  /**
   * Writes the chunk after anything still pending.
   *
   * @param chunk one interval's lines
   * @return true if everything pending, this chunk included, was written
   */
  public boolean write(JsonLines.Chunk chunk) {
    if (chunk.lines() > 0) {
      pending.addLast(chunk);
      pendingBytes += chunk.bytes().length;
    }
    try {
      OutputStream o = stream();
      while (!pending.isEmpty()) {
        JsonLines.Chunk c = pending.peekFirst();
        o.write(c.bytes());
        o.flush();
        pending.removeFirst();
        pendingBytes -= c.bytes().length;
      }
      return true;
    } catch (IOException e) {
      telemetry.sinkErrors.incrementAndGet();
      closeQuietly();
      long given = 0;
      while (pendingBytes > maxPendingBytes && pending.size() > 1) {
        JsonLines.Chunk c = pending.removeFirst();
        pendingBytes -= c.bytes().length;
        given += c.lines();
      }
      if (given > 0) {
        telemetry.sinkDroppedLines.addAndGet(given);
        LOG.error("JSON lines to {}: gave up {} lines after repeated failures (over {} bytes "
            + "pending)", target(), given, maxPendingBytes);
      }
      errorLog.warn("sink", "JSON lines to " + target() + " failed: " + e.getMessage()
          + "; keeping " + pendingLines() + " lines to retry at the next flush");
      return false;
    }
  }

  /** Lines waiting to be written. */
  public long pendingLines() {
    long n = 0;
    for (JsonLines.Chunk c : pending) {
      n += c.lines();
    }
    return n;
  }

  private OutputStream stream() throws IOException {
    if (out == null) {
      out = file == null ? new FileOutputStream(FileDescriptor.out)
          : Files.newOutputStream(file, StandardOpenOption.CREATE, StandardOpenOption.APPEND,
              StandardOpenOption.WRITE);
    }
    return out;
  }

  private void closeQuietly() {
    if (out != null && file != null) {
      try {
        out.close();
      } catch (IOException e) {
        LOG.debug("close failed", e);
      }
    }
    out = null;
  }

  @Override
  public void close() {
    long left = pendingLines();
    if (left > 0) {
      telemetry.sinkDroppedLines.addAndGet(left);
      LOG.error("JSON lines to {}: {} lines could not be written before exit", target(), left);
      pending.clear();
    }
    closeQuietly();
  }
}
