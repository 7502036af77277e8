package io.udsink.collector.mapping;

import java.io.IOException;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The mapper in force, replaced as a whole by a reload: the receive loop reads it when a series
 * is first seen in an interval; a reload (SIGHUP, {@code POST /-/reload}) reads the file again and
 * swaps it in, or, when the file does not check, reports why and keeps the rules in force.
 */
public final class MapperRef {
  private static final Logger LOG = LoggerFactory.getLogger(MapperRef.class);

  private final Path file;
  private final int cacheSize;
  private volatile Mapper current;
  private volatile long reloads;
  private volatile long retiredHits;
  private volatile long retiredMisses;
  private volatile long failedReloads;
  private volatile String lastError;

  private MapperRef(Path file, int cacheSize, Mapper first) {
    this.file = file;
    this.cacheSize = cacheSize;
    this.current = first;
  }

  /**
   * Rules from a mapping file; a file that does not check is an error here.
   *
   * @param file the file
   * @param cacheSize most cached names
   * @return the reference
   * @throws IOException when it cannot be read
   * @throws IllegalArgumentException naming the problem
   */
  public static MapperRef load(Path file, int cacheSize) throws IOException {
    Mapper m = MappingFile.load(file, cacheSize);
    LOG.info("mapping rules from {}: {} rules", file, m.ruleCount());
    return new MapperRef(file, cacheSize, m);
  }

  /**
   * No mapping file.
   *
   * @param observer how timers, histograms and distributions are shown
   * @return the reference
   */
  public static MapperRef none(ObserverSpec observer) {
    return new MapperRef(null, 0, Mapper.none(observer));
  }

  /** The mapper in force. */
  public Mapper get() {
    return current;
  }

  /**
   * Reads the file again. Safe from any thread.
   *
   * @return null when the new rules are in force (or there is no file), else why they are not
   */
  public synchronized String reload() {
    if (file == null) {
      return null;
    }
    try {
      Mapper m = MappingFile.load(file, cacheSize);
      long[] old = current.cacheStats();
      retiredHits += old[0];
      retiredMisses += old[1];
      current = m;
      reloads++;
      lastError = null;
      LOG.info("mapping rules reloaded from {}: {} rules", file, m.ruleCount());
      return null;
    } catch (IOException | IllegalArgumentException e) {
      failedReloads++;
      lastError = e.getMessage();
      LOG.error("mapping file {} not reloaded, the rules in force stay: {}", file, e.getMessage());
      return e.getMessage();
    }
  }

  /** Reloads that took effect. */
  public long reloads() {
    return reloads;
  }

  /** Reloads refused because the file did not check. */
  public long failedReloads() {
    return failedReloads;
  }

  /** Why the last reload failed, or null. */
  public String lastError() {
    return lastError;
  }

  /**
   * Lookups the mappers answered from their cache and not, since start: a reload's new mapper
   * starts with an empty cache, and what the old one counted stays counted.
   *
   * @return hits and misses
   */
  public long[] cacheLookups() {
    long[] now = current.cacheStats();
    return new long[] {retiredHits + now[0], retiredMisses + now[1]};
  }
}
