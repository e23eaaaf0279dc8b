package dev.byoos.system;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Set;

import org.junit.jupiter.api.Test;

class DashboardQueriesTest {

    @Test
    void findsTheMetricsOfAQueryButNotItsFunctionsLabelsOrRanges() {
        assertEquals(Set.of("byoos_build_phase_seconds_bucket"), DashboardQueries.inExpression(
                "histogram_quantile(0.95, sum by (le, phase) (rate(byoos_build_phase_seconds_bucket{team=~\"$team\"}[5m])))"));
        assertEquals(Set.of("byoos_builds_requested_total", "byoos_builds_finished_total"), DashboardQueries.inExpression(
                "sum(byoos_builds_requested_total) - sum(byoos_builds_finished_total{outcome!=\"reused\"}) * 60"));
        assertEquals(Set.of("kafka_consumer_fetch_manager_records_lag"), DashboardQueries.inExpression(
                "sum by (service, topic) (kafka_consumer_fetch_manager_records_lag{topic=~\"byoos\\\\..*\"})"));
    }
}
