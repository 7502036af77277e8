package io.udsink.collector.export.cumulative;

import java.util.List;

/**
 * The families the Prometheus library's JVM and process metrics show on {@code /metrics}, by
 * kind: their names are reserved so that no StatsD series takes one. Written out rather than
 * read from a registration, which would load the JVM's management beans, install a listener on
 * every garbage collection and start a thread at start-up, before anyone scrapes; a test checks
 * this list against a real registration.
 */
final class JvmFamilies {
  /** Each family as {@code KIND name}; INFO is shown as a gauge named {@code name_info}. */
  static final List<String> ALL =
      List.of(
          "GAUGE jvm_buffer_pool_capacity_bytes",
          "GAUGE jvm_buffer_pool_used_buffers",
          "GAUGE jvm_buffer_pool_used_bytes",
          "GAUGE jvm_classes_currently_loaded",
          "COUNTER jvm_classes_loaded",
          "COUNTER jvm_classes_unloaded",
          "COUNTER jvm_compilation_time_seconds",
          "SUMMARY jvm_gc_collection_seconds",
          "GAUGE jvm_memory_committed_bytes",
          "GAUGE jvm_memory_init_bytes",
          "GAUGE jvm_memory_max_bytes",
          "GAUGE jvm_memory_objects_pending_finalization",
          "COUNTER jvm_memory_pool_allocated_bytes",
          "GAUGE jvm_memory_pool_collection_committed_bytes",
          "GAUGE jvm_memory_pool_collection_init_bytes",
          "GAUGE jvm_memory_pool_collection_max_bytes",
          "GAUGE jvm_memory_pool_collection_used_bytes",
          "GAUGE jvm_memory_pool_committed_bytes",
          "GAUGE jvm_memory_pool_init_bytes",
          "GAUGE jvm_memory_pool_max_bytes",
          "GAUGE jvm_memory_pool_used_bytes",
          "GAUGE jvm_memory_used_bytes",
          "INFO jvm_runtime",
          "GAUGE jvm_threads_current",
          "GAUGE jvm_threads_daemon",
          "GAUGE jvm_threads_deadlocked",
          "GAUGE jvm_threads_deadlocked_monitor",
          "GAUGE jvm_threads_peak",
          "COUNTER jvm_threads_started",
          "GAUGE jvm_threads_state",
          "COUNTER process_cpu_seconds",
          "GAUGE process_max_fds",
          "GAUGE process_open_fds",
          "GAUGE process_resident_memory_bytes",
          "GAUGE process_start_time_seconds",
          "GAUGE process_virtual_memory_bytes");

  private JvmFamilies() {}
}
