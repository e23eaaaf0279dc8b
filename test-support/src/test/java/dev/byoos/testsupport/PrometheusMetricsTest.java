package dev.byoos.testsupport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;

import org.junit.jupiter.api.Test;

class PrometheusMetricsTest {

    private static final String EXPOSITION = """
            # HELP byoos_builds_requested_total Builds requested
            # TYPE byoos_builds_requested_total counter
            byoos_builds_requested_total{cloud="qemu",format="qcow2",team="platform"} 3.0
            byoos_builds_requested_total{cloud="qemu",format="raw",team="platform"} 2.0
            byoos_builds_requested_total{cloud="qemu",format="raw",team="other"} 5.0
            byoos_build_queue_seconds_bucket{team="a\\"b,c",le="+Inf"} 7 1700000000000
            byoos_outbox_backlog 4.0
            """;

    @Test
    void sumsTheSamplesWhoseLabelsIncludeTheGivenOnes() {
        PrometheusMetrics metrics = PrometheusMetrics.parse(EXPOSITION);
        assertEquals(10, metrics.sum("byoos_builds_requested_total"));
        assertEquals(5, metrics.sum("byoos_builds_requested_total", Map.of("team", "platform")));
        assertEquals(2, metrics.sum("byoos_builds_requested_total", Map.of("team", "platform", "format", "raw")));
        assertEquals(0, metrics.sum("byoos_builds_requested_total", Map.of("team", "nobody")));
        assertEquals(4, metrics.sum("byoos_outbox_backlog"));
    }

    @Test
    void readsEscapedLabelValuesAndIgnoresTimestamps() {
        PrometheusMetrics metrics = PrometheusMetrics.parse(EXPOSITION);
        assertEquals(7, metrics.sum("byoos_build_queue_seconds_bucket", Map.of("team", "a\"b,c", "le", "+Inf")));
        assertTrue(metrics.names().contains("byoos_outbox_backlog"));
        assertEquals(3, metrics.names().size());
    }
}
