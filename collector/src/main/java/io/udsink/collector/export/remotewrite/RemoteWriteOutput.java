package io.udsink.collector.export.remotewrite;

import io.udsink.collector.aggregate.Interval;
import io.udsink.collector.export.Backoff;
import io.udsink.collector.export.Output;
import io.udsink.collector.export.TelemetryMetric;
import io.udsink.collector.export.cumulative.CumulativeState;
import io.udsink.collector.util.Fatal;
import io.udsink.collector.util.RateLimitedLog;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Pushes every flush to a remote-write receiver (Prometheus, VictoriaMetrics, Mimir, Thanos
 * Receive): protobuf compressed with snappy, the samples of every series shown, cumulative, at
 * the interval's end time.
 *
 * <pre>
 *   worker --write--> state.apply; encode; append to the disk queue, forced  <--sender thread
 *                                                                 POST, retry with back-off
 * </pre>
 *
 * <ul>
 *   <li>{@link #write} never waits on the network: it adds the interval to this output's own
 *       cumulative state, encodes the series in requests of at most {@value #SERIES_PER_REQUEST}
 *       and appends them to the receiver's {@link DiskQueue}; a sender thread posts them in
 *       order. What the queue holds survives outages, stops, restarts and takeovers; the stop
 *       waits for the final flush to reach the disk, not the receiver.</li>
 *   <li>5xx, 429 and network errors: the request is retried after a back-off (100 ms doubling to
 *       5 s); later requests wait behind it, so a receiver sees every series' samples in time
 *       order. Other 4xx: the receiver will never take it; dropped, counted, logged.</li>
 *   <li>A series seen for the first time starts with a 0 (an empty histogram) at the interval's
 *       start, in a request of its own: a receiver then counts every increment, also across a
 *       restart that reset the counters. A series that leaves the state (its TTL) gets
 *       Prometheus' stale marker.</li>
 *   <li>Native histograms go on the wire with their classic buckets, unless switched off. A
 *       receiver that answers "native histograms are disabled" gets the request again without
 *       them, and no more from then on; the log says so once.</li>
 * </ul>
 */
public final class RemoteWriteOutput implements Output {
  private static final Logger LOG = LoggerFactory.getLogger(RemoteWriteOutput.class);

  /** Most series per request (Prometheus sends at most 2,000 samples per request). */
  static final int SERIES_PER_REQUEST = 2000;

  /** How long a close waits for a receiver that takes requests to empty the queue. */
  static final long DRAIN_MS = 5000;

  /** Largest request body udsink decompresses again. */
  private static final int MAX_REQUEST = 256 << 20;

  /** Where and how much a receiver's queue holds. */
  public record Queue(Path dir, long maxBytes) {}

  private final String name;
  private final URI url;
  private final CumulativeState state;
  private final Map<String, String> externalLabels;
  private final Map<String, String> headers;
  private final Duration timeout;
  private final Queue queueSpec;
  private volatile boolean natives;
  private final HttpClient http;
  private final RateLimitedLog errorLog = new RateLimitedLog(LOG, TimeUnit.SECONDS.toNanos(10));
  private final Thread sender;

  // guarded by this
  private DiskQueue queue;
  private boolean closed;
  private DiskQueue.Entry sending;
  private boolean failing; // the last attempt failed: the receiver is away or refusing

  // the worker's
  private Map<SeriesKey, WriteRequest.Series> previous;

  /** Open while a takeover's state is on its way: the first flush waits for it. */
  private volatile java.util.concurrent.CountDownLatch handover;

  private final AtomicLong queuedSamples = new AtomicLong();
  private final AtomicLong sentSamples = new AtomicLong();
  private final AtomicLong sentBytes = new AtomicLong();
  private final AtomicLong droppedSamples = new AtomicLong();
  private final AtomicLong rejectedSamples = new AtomicLong();
  private final AtomicLong redirectedSamples = new AtomicLong();
  private final AtomicLong failedRequests = new AtomicLong();
  private final AtomicLong corruptRecords = new AtomicLong();
  private final AtomicLong staleMarkers = new AtomicLong();

  /**
   * Creates the output and starts its sender. The queue opens at the first write (at a
   * takeover, once the previous instance lets go of it).
   *
   * @param url the receiver's endpoint, for example {@code http://host:9090/api/v1/write}; user
   *     and password in it are sent as basic authentication
   * @param state this output's own cumulative state (not the one {@code /metrics} shows)
   * @param externalLabels labels every series gets unless it has one of that name
   * @param headers headers sent with every request (for example a tenant or a bearer token)
   * @param timeout how long one request may take
   * @param queue the receiver's queue directory and bound
   * @param natives send native histograms as such
   */
  public RemoteWriteOutput(
      URI url,
      CumulativeState state,
      Map<String, String> externalLabels,
      Map<String, String> headers,
      Duration timeout,
      Queue queue,
      boolean natives) {
    this.url = withoutUserInfo(url);
    this.name = "remote_write " + redacted(this.url);
    this.state = state;
    this.externalLabels = Map.copyOf(externalLabels);
    this.queueSpec = queue;
    this.natives = natives;
    Map<String, String> h = new LinkedHashMap<>(headers);
    if (url.getRawUserInfo() != null) {
      h.putIfAbsent(
          "Authorization",
          "Basic "
              + Base64.getEncoder()
                  .encodeToString(
                      java.net.URLDecoder.decode(url.getRawUserInfo(), StandardCharsets.UTF_8)
                          .getBytes(StandardCharsets.UTF_8)));
    }
    this.headers = Map.copyOf(h);
    boolean basic =
        h.entrySet().stream()
            .anyMatch(
                e ->
                    e.getKey().equalsIgnoreCase("Authorization")
                        && e.getValue().regionMatches(true, 0, "Basic ", 0, 6));
    if (basic && "http".equals(url.getScheme())) {
      LOG.warn(
          "{}: basic authentication over plain http: the password crosses the network "
              + "readable; use https",
          name);
    }
    this.timeout = timeout;
    this.http =
        HttpClient.newBuilder()
            .connectTimeout(timeout)
            .followRedirects(HttpClient.Redirect.NEVER)
            .build();
    this.sender = new Thread(this::sendLoop, "udsink-remote-write");
    this.sender.setDaemon(true);
    this.sender.start();
  }

  /**
   * The name of a receiver's queue directory: the same receiver (URL without credentials, and
   * the headers other than {@code Authorization}) always gets the same one.
   *
   * @param url the receiver's URL
   * @param headers the headers sent to it
   * @return 16 hex digits
   */
  public static String queueKey(URI url, Map<String, String> headers) {
    StringBuilder b = new StringBuilder(withoutUserInfo(url).toString());
    new java.util.TreeMap<>(headers)
        .forEach(
            (k, v) -> {
              if (!k.equalsIgnoreCase("Authorization")) {
                b.append('\n').append(k.toLowerCase(java.util.Locale.ROOT)).append(": ").append(v);
              }
            });
    try {
      byte[] d =
          java.security.MessageDigest.getInstance("SHA-256")
              .digest(b.toString().getBytes(StandardCharsets.UTF_8));
      return java.util.HexFormat.of().formatHex(d, 0, 8);
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static final long HANDOVER_WAIT_S = 60;

  /** A takeover is under way: the first flush waits for {@link #handoverDone()}. */
  public void awaitHandover() {
    handover = new java.util.concurrent.CountDownLatch(1);
  }

  /** The takeover's state is in (or will not come). */
  public void handoverDone() {
    java.util.concurrent.CountDownLatch h = handover;
    if (h != null) {
      h.countDown();
    }
  }

  /** This output's cumulative state (handed over at a takeover). */
  public CumulativeState state() {
    return state;
  }

  /**
   * The URL as it may be shown (output names, labels, logs): every query parameter's value
   * replaced by {@code <secret>}, since receivers take API keys there.
   *
   * @param u a URL without user information
   * @return it, for display
   */
  public static String redacted(URI u) {
    if (u.getRawQuery() == null) {
      return u.toString();
    }
    StringBuilder q = new StringBuilder();
    for (String part : u.getRawQuery().split("&", -1)) {
      if (q.length() > 0) {
        q.append('&');
      }
      int eq = part.indexOf('=');
      q.append(eq < 0 ? part : part.substring(0, eq + 1) + "<secret>");
    }
    String s = u.toString();
    return s.substring(0, s.indexOf('?') + 1)
        + q
        + (u.getRawFragment() == null ? "" : "#" + u.getRawFragment());
  }

  private static URI withoutUserInfo(URI u) {
    if (u.getRawUserInfo() == null) {
      return u;
    }
    try {
      return new URI(
          u.getScheme(),
          null,
          u.getHost(),
          u.getPort(),
          u.getPath(),
          u.getQuery(),
          u.getFragment());
    } catch (java.net.URISyntaxException e) {
      throw new IllegalArgumentException(e.getMessage(), e);
    }
  }

  /**
   * Checks a remote-write URL given on the command line.
   *
   * @param text the URL
   * @return it, parsed
   * @throws IllegalArgumentException naming the problem
   */
  public static URI parseUrl(String text) {
    URI u;
    try {
      u = new URI(text);
    } catch (java.net.URISyntaxException e) {
      throw new IllegalArgumentException("not a URL: " + e.getMessage(), e);
    }
    if (!"http".equals(u.getScheme()) && !"https".equals(u.getScheme())) {
      throw new IllegalArgumentException("not an http:// or https:// URL: " + text);
    }
    if (u.getHost() == null) {
      throw new IllegalArgumentException("no host in " + text);
    }
    return u;
  }

  @Override
  public String name() {
    return name;
  }

  private DiskQueue openQueue() throws IOException {
    synchronized (this) {
      if (queue != null) {
        return queue;
      }
      if (closed) {
        throw new IOException(name + ": closed");
      }
    }
    DiskQueue q;
    try {
      q =
          DiskQueue.open(
              queueSpec.dir(),
              queueSpec.maxBytes(),
              new DiskQueue.Events() {
                @Override
                public void dropped(long samples, String why) {
                  droppedSamples.addAndGet(samples);
                  errorLog.warn(
                      "queue",
                      name
                          + ": "
                          + why
                          + (samples > 0
                              ? "; "
                                  + samples
                                  + " samples lost (totals are cumulative and come"
                                  + " with the next request)"
                              : ""));
                }

                @Override
                public void corrupt(long records, String why) {
                  corruptRecords.addAndGet(records);
                  errorLog.warn("corrupt", name + ": " + why);
                }
              },
              () ->
                  LOG.info(
                      "{}: waiting for the process that holds {} (at a takeover: the previous "
                          + "instance, until its final flush is on disk)",
                      name,
                      queueSpec.dir()));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException(name + ": interrupted while opening its queue", e);
    } catch (IOException e) {
      throw new IOException(
          name + ": cannot open its queue in " + queueSpec.dir() + ": " + e.getMessage(), e);
    }
    synchronized (this) {
      if (closed) {
        q.close();
        throw new IOException(name + ": closed");
      }
      queue = q;
      notifyAll();
      return q;
    }
  }

  @Override
  public void write(Interval iv) throws IOException {
    DiskQueue q = openQueue();
    List<DiskQueue.Request> requests = requests(iv);
    long samples = 0;
    for (DiskQueue.Request r : requests) {
      samples += r.samples();
    }
    queuedSamples.addAndGet(samples);
    q.append(requests);
  }

  /**
   * Adds an interval to the state and encodes what to send for it: the new series' zeros, the
   * samples with their own time, the flush, the stale markers.
   *
   * @param iv the interval
   * @return the compressed requests, in the order to send them
   */
  List<DiskQueue.Request> requests(Interval iv) {
    java.util.concurrent.CountDownLatch h = handover;
    if (previous == null && h != null) {
      // the series the previous instance sent are no new series: without its state every one
      // would start again with a 0, older than the previous instance's last samples
      try {
        if (!h.await(HANDOVER_WAIT_S, TimeUnit.SECONDS)) {
          LOG.warn("{}: no takeover state after {} s; going on without it", name, HANDOVER_WAIT_S);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    if (previous == null) {
      // what this instance continues (a takeover's state) is no new series
      WriteRequest before = new WriteRequest();
      Samples.add(state.snapshot(), externalLabels, iv.startMs(), before, natives);
      previous = index(before);
    }
    List<CumulativeState.TimedPoint> timed = state.apply(iv);
    long createdMs = System.currentTimeMillis();
    // just after the interval's start: a stale marker at the end of the one before (a series
    // that expired and comes back) keeps its own time
    long zeroMs = iv.startMs() + 1;
    WriteRequest t = new WriteRequest();
    for (CumulativeState.TimedPoint p : timed) {
      Samples.add(
          new io.prometheus.metrics.model.snapshots.MetricSnapshots(p.snapshot()),
          externalLabels,
          p.timestampMs(),
          t);
      zeroMs = Math.min(zeroMs, p.timestampMs());
    }
    WriteRequest w = new WriteRequest();
    Samples.add(state.snapshot(), externalLabels, iv.endMs(), w, natives);
    Map<SeriesKey, WriteRequest.Series> now = index(w);
    WriteRequest zeros = new WriteRequest();
    for (Map.Entry<SeriesKey, WriteRequest.Series> e : now.entrySet()) {
      if (e.getValue().cumulative() && !previous.containsKey(e.getKey())) {
        zeros.add(e.getValue().zeroAt(Math.min(zeroMs, iv.endMs() - 1)));
      }
    }
    WriteRequest stale = new WriteRequest();
    boolean sendsNatives = natives;
    for (Map.Entry<SeriesKey, WriteRequest.Series> e : previous.entrySet()) {
      // a native histogram that stopped because the receiver refuses them never reached it
      boolean refusedNative = e.getValue().histogram() != null && !sendsNatives;
      if (!now.containsKey(e.getKey()) && !refusedNative) {
        stale.add(e.getValue().staleAt(iv.endMs()));
      }
    }
    staleMarkers.addAndGet(stale.size());
    // new series' zeros first, each kind in requests of its own: a receiver that refuses one
    // (a sample older than what it holds) costs only that request
    List<DiskQueue.Request> requests = new ArrayList<>();
    for (WriteRequest r : List.of(zeros, t, w, stale)) {
      encode(r, createdMs, requests);
    }
    previous = now;
    return requests;
  }

  private static Map<SeriesKey, WriteRequest.Series> index(WriteRequest w) {
    Map<SeriesKey, WriteRequest.Series> m = new HashMap<>(w.size() * 2);
    for (WriteRequest.Series s : w.series()) {
      m.put(new SeriesKey(s.labels()), s);
    }
    return m;
  }

  private static void encode(WriteRequest w, long createdMs, List<DiskQueue.Request> into) {
    for (int from = 0; from < w.size(); from += SERIES_PER_REQUEST) {
      int to = Math.min(w.size(), from + SERIES_PER_REQUEST);
      byte[] raw = w.encode(from, to);
      into.add(new DiskQueue.Request(Snappy.compress(raw, raw.length), to - from, createdMs));
    }
  }

  /** A series' labels, compared by value. */
  private static final class SeriesKey {
    private final String[] labels;
    private final int hash;

    SeriesKey(String[] labels) {
      this.labels = labels;
      int h = 1;
      for (String l : labels) {
        h = 31 * h + io.udsink.collector.util.Hashing.mix(l.hashCode());
      }
      this.hash = h;
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof SeriesKey k
          && k.hash == hash
          && java.util.Arrays.equals(k.labels, labels);
    }

    @Override
    public int hashCode() {
      return hash;
    }
  }

  /** The final flush is on disk once {@link #write} returned: nothing is held. */
  @Override
  public boolean holds() {
    return false;
  }

  @Override
  public Map<TelemetryMetric, Long> counts() {
    DiskQueue q;
    synchronized (this) {
      q = queue;
    }
    Map<TelemetryMetric, Long> m = new java.util.EnumMap<>(TelemetryMetric.class);
    m.put(TelemetryMetric.OUTPUT_QUEUED_SAMPLES, queuedSamples.get());
    m.put(TelemetryMetric.OUTPUT_SENT_SAMPLES, sentSamples.get());
    m.put(TelemetryMetric.OUTPUT_SENT_BYTES, sentBytes.get());
    m.put(TelemetryMetric.OUTPUT_DROPPED_SAMPLES, droppedSamples.get());
    m.put(TelemetryMetric.OUTPUT_REJECTED_SAMPLES, rejectedSamples.get());
    m.put(TelemetryMetric.OUTPUT_REDIRECTED_SAMPLES, redirectedSamples.get());
    m.put(TelemetryMetric.OUTPUT_FAILED_REQUESTS, failedRequests.get());
    m.put(TelemetryMetric.OUTPUT_CORRUPT_RECORDS, corruptRecords.get());
    m.put(TelemetryMetric.OUTPUT_STALE_MARKERS, staleMarkers.get());
    m.put(TelemetryMetric.OUTPUT_QUEUE_BYTES, q == null ? 0 : q.bytes());
    return m;
  }

  @Override
  public synchronized long unsentSinceNs() {
    if (sending == null) {
      return 0;
    }
    long ageMs = Math.max(0, System.currentTimeMillis() - sending.createdMs());
    return System.nanoTime() - TimeUnit.MILLISECONDS.toNanos(ageMs);
  }

  /**
   * Stops sending and lets go of the queue; what it holds stays on disk for the next instance.
   * While the receiver takes requests, the queue gets up to {@value #DRAIN_MS} ms to empty first,
   * so that a host stopped for good still delivers its final flush; during an outage it lets go
   * at once.
   */
  @Override
  public void close() {
    DiskQueue q;
    synchronized (this) {
      long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(DRAIN_MS);
      try {
        for (long left = DRAIN_MS;
            queue != null && !closed && !failing && !queue.isEmpty() && left > 0;
            left = deadline - System.nanoTime()) {
          TimeUnit.NANOSECONDS.timedWait(this, left);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      closed = true;
      q = queue;
      notifyAll();
    }
    // the queue first: a read in progress ends before it closes, and nothing reads after it
    // (an interrupt during a read would close the file under the reader)
    if (q != null) {
      q.close();
    }
    sender.interrupt(); // ends a request in progress; it is sent again by the next instance
    try {
      sender.join(TimeUnit.SECONDS.toMillis(5));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private DiskQueue awaitQueue() throws InterruptedException {
    synchronized (this) {
      while (queue == null && !closed) {
        wait();
      }
      return closed ? null : queue;
    }
  }

  private void sendLoop() {
    Backoff backoff = new Backoff();
    try {
      DiskQueue q = awaitQueue();
      if (q == null) {
        return;
      }
      while (true) {
        DiskQueue.Entry e = q.next(TimeUnit.SECONDS.toNanos(1));
        synchronized (this) {
          if (closed) {
            return;
          }
          sending = e;
        }
        if (e == null) {
          continue;
        }
        Outcome o = postSafely(e.body(), e.samples());
        if (o == Outcome.NATIVE_DISABLED) {
          o = withoutNatives(e);
        }
        if (o != Outcome.RETRY) {
          q.taken(e);
          synchronized (this) {
            sending = null;
            failing = false;
            notifyAll();
          }
          (o == Outcome.SENT
                  ? sentSamples
                  : o == Outcome.REDIRECTED ? redirectedSamples : rejectedSamples)
              .addAndGet(e.samples());
          if (o == Outcome.SENT) {
            sentBytes.addAndGet(e.body().length);
          }
          backoff.succeeded();
          continue;
        }
        failedRequests.incrementAndGet();
        long pause = backoff.failed();
        synchronized (this) {
          failing = true;
          notifyAll();
          long until = System.nanoTime() + pause; // new intervals do not cut the pause short
          for (long left = pause; left > 0 && !closed; left = until - System.nanoTime()) {
            TimeUnit.NANOSECONDS.timedWait(this, left);
          }
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (Error e) {
      Fatal.report("remote-write sender " + redacted(url), e);
    }
  }

  /** The receiver refuses native histograms: from now on it gets none, and this request too. */
  private Outcome withoutNatives(DiskQueue.Entry e) throws InterruptedException {
    if (natives) {
      natives = false;
      LOG.warn(
          "{}: the receiver answers that native histograms are disabled; sending it classic "
              + "buckets only from now on (Prometheus: --enable-feature=native-histograms; or "
              + "--remote-write-native-histograms {}=off to say so)",
          name,
          redacted(url));
    }
    WriteRequest.Stripped s;
    try {
      s = WriteRequest.withoutHistograms(Snappy.decompress(e.body(), MAX_REQUEST));
    } catch (IllegalArgumentException ex) {
      errorLog.warn("strip", name + ": cannot take the histograms out of a request: " + ex);
      return Outcome.REJECTED;
    }
    if (s.series() == 0) {
      return Outcome.SENT;
    }
    byte[] body = Snappy.compress(s.body(), s.body().length);
    Outcome o = postSafely(body, s.series());
    return o == Outcome.NATIVE_DISABLED ? Outcome.REJECTED : o;
  }

  private Outcome postSafely(byte[] body, int samples) throws InterruptedException {
    try {
      return post(body, samples);
    } catch (RuntimeException ex) { // a bug must not end remote write in silence
      errorLog.warn("bug", name + ": " + ex + "; retrying");
      return Outcome.RETRY;
    }
  }

  private enum Outcome {
    SENT,
    NATIVE_DISABLED,
    REJECTED,
    REDIRECTED,
    RETRY
  }

  private Outcome post(byte[] payload, int samples) throws InterruptedException {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(url)
            .timeout(timeout)
            .header("Content-Encoding", "snappy")
            .header("Content-Type", "application/x-protobuf")
            .header("User-Agent", "udsink")
            .header("X-Prometheus-Remote-Write-Version", "0.1.0")
            .POST(HttpRequest.BodyPublishers.ofByteArray(payload));
    headers.forEach(b::header);
    HttpResponse<String> resp;
    CompletableFuture<HttpResponse<String>> f = http.sendAsync(b.build(), info -> new Head(1024));
    try {
      // the request's timeout covers the answer's headers; this one its body as well
      resp = f.get(timeout.toMillis() + 1000, TimeUnit.MILLISECONDS);
    } catch (ExecutionException | TimeoutException e) {
      f.cancel(true);
      Throwable c = e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e;
      errorLog.warn(
          "send", name + ": " + c.getClass().getSimpleName() + " " + c.getMessage() + "; retrying");
      return Outcome.RETRY;
    }
    int code = resp.statusCode();
    if (code / 100 == 2) {
      return Outcome.SENT;
    }
    String body = resp.body() == null ? "" : resp.body().strip();
    if (body.length() > 300) {
      body = body.substring(0, 300) + "...";
    }
    if (code / 100 >= 4
        && body.toLowerCase(java.util.Locale.ROOT).contains("native histograms are disabled")) {
      return Outcome.NATIVE_DISABLED;
    }
    if (code / 100 == 3) {
      errorLog.warn(
          "redirected",
          name
              + ": HTTP "
              + code
              + " to "
              + resp.headers()
                  .firstValue("Location")
                  .map(l -> l.contains("?") ? l.substring(0, l.indexOf('?')) + "?..." : l)
                  .orElse("nowhere")
              + "; no redirect is followed (credentials stay "
              + "with the configured receiver): these "
              + samples
              + " samples are dropped; fix "
              + "--remote-write");
      return Outcome.REDIRECTED;
    }
    if (code / 100 == 5 || code == 429) {
      errorLog.warn("send", name + ": HTTP " + code + " " + body + "; retrying");
      return Outcome.RETRY;
    }
    errorLog.warn(
        "rejected",
        name
            + ": HTTP "
            + code
            + " "
            + body
            + "; the receiver refuses "
            + "these "
            + samples
            + " samples, dropped");
    return Outcome.REJECTED;
  }

  /**
   * The first {@code limit} bytes of a response body, the rest discarded: a receiver's answer
   * is for the log, and no receiver can make udsink hold more of it.
   */
  private static final class Head implements HttpResponse.BodySubscriber<String> {
    private final byte[] buf;
    private int n;
    private final CompletableFuture<String> result = new CompletableFuture<>();
    private Flow.Subscription subscription;

    Head(int limit) {
      buf = new byte[limit];
    }

    @Override
    public java.util.concurrent.CompletionStage<String> getBody() {
      return result;
    }

    @Override
    public void onSubscribe(Flow.Subscription s) {
      subscription = s;
      s.request(Long.MAX_VALUE);
    }

    @Override
    public void onNext(List<ByteBuffer> items) {
      for (ByteBuffer b : items) {
        int take = Math.min(b.remaining(), buf.length - n);
        b.get(buf, n, take);
        n += take;
      }
      if (n == buf.length) {
        subscription.cancel();
        onComplete();
      }
    }

    @Override
    public void onError(Throwable t) {
      result.complete(new String(buf, 0, n, StandardCharsets.UTF_8));
    }

    @Override
    public void onComplete() {
      result.complete(new String(buf, 0, n, StandardCharsets.UTF_8));
    }
  }
}
