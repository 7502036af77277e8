package io.udsink.collector.export.jsonl;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import io.udsink.collector.aggregate.Counter;
import io.udsink.collector.aggregate.Interval;
import io.udsink.collector.export.Output;
import io.udsink.collector.export.SeriesLeftOut;
import io.udsink.collector.export.Telemetry;
import io.udsink.collector.parse.ParseError;

/**
 * JSON lines to a file (appended), a FIFO, or standard output. Runs on its own worker thread.
 *
 * <ul>
 *   <li>Every line is written exactly once and never torn: bytes go out through a channel that
 *       reports how much each write took, so a write cut short (a full disk) is continued at
 *       the exact byte where it stopped, not repeated.</li>
 *   <li>Before each write the path is checked: when the file at the path is no longer the one
 *       open (deleted, moved away by log rotation, replaced), it is reopened, and a line cut short
 *       in the old file is written whole to the new one.</li>
 *   <li>A FIFO is opened on the worker's thread (an open blocks until a reader appears), so a
 *       FIFO nobody reads never delays start-up or another output.</li>
 * </ul>
 */
public final class JsonLinesOutput implements Output {
  private static final Logger LOG = LoggerFactory.getLogger(JsonLinesOutput.class);
  private static final int S_IFMT = 0170000;
  private static final int S_IFIFO = 0010000;

  private final Path file;
  private final Telemetry telemetry;
  private FileChannel channel;
  private Object openId;
  private boolean fifo;
  private ByteBuffer held;
  private int heldLineStart;
  private volatile long heldLines;
  private long errors;
  private long[] reportedCounters = new long[Counter.values().length];
  private long[] reportedParseErrors = new long[ParseError.values().length];
  private long reportedErrors;
  private long[] reportedSeriesErrors = new long[SeriesLeftOut.values().length];
  private Map<String, Long> reportedByUid = Map.of();

  private JsonLinesOutput(Path file, Telemetry telemetry) {
    this.file = file;
    this.telemetry = telemetry;
  }

  /**
   * Creates the output. A regular file is opened (created) now, so that a bad path is reported
   * at start-up; a FIFO is opened later, by the worker.
   *
   * @param file the file to append to, or {@code null} for standard output
   * @param telemetry where counters come from
   * @return the output
   * @throws IOException when the file cannot be opened
   */
  public static JsonLinesOutput open(Path file, Telemetry telemetry) throws IOException {
    JsonLinesOutput out = new JsonLinesOutput(file, telemetry);
    if (file == null) {
      out.channel = new FileOutputStream(FileDescriptor.out).getChannel();
    } else if (!isFifo(file)) {
      out.openFile();
    } else {
      out.fifo = true;
      LOG.info("JSON lines to FIFO {}: opened when a reader appears", file);
    }
    return out;
  }

  @Override
  public String name() {
    return "jsonl";
  }

  /** Where the lines go, for messages. */
  public String target() {
    return file == null ? "standard output" : file.toString();
  }

  @Override
  public void write(Interval iv) throws IOException {
    prepareChannel();
    long[] counters = iv.counters();
    long[] parseErrors = iv.parseErrors();
    Map<String, Long> byUid = telemetry.datagramsByUid();
    long[] seriesErrors = new long[SeriesLeftOut.values().length];
    for (SeriesLeftOut r : SeriesLeftOut.values()) {
      seriesErrors[r.ordinal()] = telemetry.seriesLeftOut(r);
    }
    JsonLines.Chunk chunk = JsonLines.format(iv, telemetryLines(iv, seriesErrors, byUid),
        telemetry);
    ByteBuffer buf = ByteBuffer.wrap(chunk.bytes());
    try {
      writeFully(buf);
    } catch (IOException e) {
      errors++;
      dropChannel();
      if (buf.position() == 0) {
        throw e; // nothing taken: the worker keeps the interval
      }
      hold(buf);
      commit(counters, parseErrors, seriesErrors, byUid);
      throw new HeldException(e);
    }
    commit(counters, parseErrors, seriesErrors, byUid);
  }

  @Override
  public void writeHeld() throws IOException {
    prepareChannel();
    try {
      writeFully(held);
    } catch (IOException e) {
      errors++;
      dropChannel();
      hold(held);
      throw new HeldException(e);
    }
    held = null;
    heldLines = 0;
  }

  @Override
  public boolean holds() {
    return held != null;
  }

  @Override
  public long heldLines() {
    return heldLines;
  }

  private void hold(ByteBuffer buf) {
    held = buf;
    int p = buf.position();
    byte[] b = buf.array();
    int start = p;
    while (start > 0 && b[start - 1] != '\n') {
      start--;
    }
    heldLineStart = start;
    long n = 0;
    for (int i = p; i < buf.limit(); i++) {
      if (b[i] == '\n') {
        n++;
      }
    }
    heldLines = n;
  }

  private void commit(long[] counters, long[] parseErrors, long[] seriesErrors,
      Map<String, Long> byUid) {
    reportedByUid = byUid;
    reportedCounters = counters;
    reportedParseErrors = parseErrors;
    reportedErrors = errors;
    reportedSeriesErrors = seriesErrors;
  }

  private List<JsonLines.TelemetryLine> telemetryLines(Interval iv, long[] seriesErrors,
      Map<String, Long> byUid) {
    List<JsonLines.TelemetryLine> lines = new ArrayList<>();
    for (Counter c : Counter.values()) {
      lines.add(line(c.metric(), iv.counters()[c.ordinal()] - reportedCounters[c.ordinal()]));
    }
    for (ParseError r : ParseError.values()) {
      long d = iv.parseErrors()[r.ordinal()] - reportedParseErrors[r.ordinal()];
      if (d > 0) {
        lines.add(new JsonLines.TelemetryLine("parse_errors", List.of("reason:" + r.label()), d));
      }
    }
    lines.add(line("series", iv.series().length));
    lines.add(line("intervals", iv.intervals()));
    lines.add(line("merge_dropped", iv.mergeDropped()));
    lines.add(line("output_errors", errors - reportedErrors));
    byUid.forEach((uid, n) -> {
      long d = n - reportedByUid.getOrDefault(uid, 0L);
      if (d > 0) {
        lines.add(new JsonLines.TelemetryLine("datagrams_by_uid", List.of("uid:" + uid), d));
      }
    });
    for (io.udsink.collector.loop.SocketStats st : telemetry.sockets()) {
      lines.add(new JsonLines.TelemetryLine("socket_queue_datagrams_max",
          List.of("socket:" + st.name()), st.queueMax()));
    }
    for (SeriesLeftOut r : SeriesLeftOut.values()) {
      long d = seriesErrors[r.ordinal()] - reportedSeriesErrors[r.ordinal()];
      if (d > 0) {
        lines.add(new JsonLines.TelemetryLine("series_errors", List.of("reason:" + r.label()),
            d));
      }
    }
    return lines;
  }

  private static JsonLines.TelemetryLine line(String name, double value) {
    return new JsonLines.TelemetryLine(name, List.of(), value);
  }

  /** Opens the target if needed, and reopens it when the path no longer names the open file. */
  private void prepareChannel() throws IOException {
    if (file == null) {
      return;
    }
    if (channel != null && !fifo) {
      Object now = identity(file);
      if (!Objects.equals(now, openId)) {
        LOG.warn("JSON lines file {} was {}; reopening it", file,
            now == null ? "deleted" : "replaced or moved away");
        dropChannel();
        openId = null;
      }
    }
    if (channel == null) {
      Object before = openId;
      openFile();
      if (held != null && (fifo || !Objects.equals(before, openId))) {
        held.position(heldLineStart); // a new file or reader gets the cut line whole
      }
    }
  }

  private void openFile() throws IOException {
    channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.APPEND,
        StandardOpenOption.WRITE);
    openId = identity(file);
  }

  private void writeFully(ByteBuffer buf) throws IOException {
    while (buf.hasRemaining()) {
      channel.write(buf);
    }
  }

  private void dropChannel() {
    if (channel != null && file != null) {
      try {
        channel.close();
      } catch (IOException e) {
        LOG.debug("close failed", e);
      }
      channel = null;
    }
  }

  @Override
  public void reopen() {
    if (file != null && channel != null) {
      LOG.info("JSON lines to {}: reopening (SIGHUP)", file);
      dropChannel();
      openId = null; // a cut line goes to the new file whole
    }
  }

  @Override
  public void close() {
    dropChannel();
  }

  private static Object identity(Path path) throws IOException {
    try {
      Map<String, Object> a = Files.readAttributes(path, "unix:dev,ino", LinkOption.NOFOLLOW_LINKS);
      return List.of(a.get("dev"), a.get("ino"));
    } catch (NoSuchFileException e) {
      return null;
    }
  }

  private static boolean isFifo(Path path) throws IOException {
    try {
      int mode = (Integer) Files.getAttribute(path, "unix:mode");
      return (mode & S_IFMT) == S_IFIFO;
    } catch (NoSuchFileException e) {
      return false;
    }
  }
}
