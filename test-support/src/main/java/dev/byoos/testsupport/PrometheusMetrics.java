package dev.byoos.testsupport;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import org.awaitility.core.ConditionTimeoutException;

/**
 * One scrape of a service's Prometheus endpoint ({@code /q/metrics}), parsed from the text
 * exposition format, so tests can check that a metric exists and how far it moved.
 */
public final class PrometheusMetrics {

    /** One sample line: {@code name{label="value",...} value}. */
    public record Sample(String name, Map<String, String> labels, double value) {
    }

    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private final List<Sample> samples;

    private PrometheusMetrics(List<Sample> samples) {
        this.samples = samples;
    }

    /** @param metricsUrl e.g. {@code http://127.0.0.1:8081/q/metrics} */
    public static PrometheusMetrics scrape(URI metricsUrl) {
        try {
            HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(metricsUrl).GET().build(),
                    HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() != 200) {
                throw new IllegalStateException(metricsUrl + " answered " + response.statusCode());
            }
            return parse(response.body());
        } catch (IOException e) {
            throw new IllegalStateException("cannot scrape " + metricsUrl, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted scraping " + metricsUrl, e);
        }
    }

    /**
     * Waits until the sum of {@code name}'s samples with {@code labels} is {@code expected}: metrics
     * are recorded after the event a test waits for is sent, so the test waits for them too.
     */
    public static void awaitSum(URI metricsUrl, String name, Map<String, String> labels, double expected,
            Duration timeout) {
        double[] current = new double[1];
        try {
            await(name + labels).atMost(timeout).pollInterval(Duration.ofMillis(100))
                    .until(() -> (current[0] = scrape(metricsUrl).sum(name, labels)) == expected);
        } catch (ConditionTimeoutException e) {
            throw new AssertionError(name + labels + " is " + current[0] + " after " + timeout + ", expected " + expected,
                    e);
        }
    }

    public static PrometheusMetrics parse(String exposition) {
        List<Sample> samples = new ArrayList<>();
        for (String line : exposition.split("\n")) {
            if (!line.isBlank() && !line.startsWith("#")) {
                samples.add(sample(line.strip()));
            }
        }
        return new PrometheusMetrics(samples);
    }

    /** Every sample name, histogram and summary series ({@code _bucket}, {@code _count}, ...) included. */
    public Set<String> names() {
        Set<String> names = new TreeSet<>();
        samples.forEach(sample -> names.add(sample.name()));
        return names;
    }

    /** The sum of the samples named {@code name} whose labels include {@code labels}; 0 when none. */
    public double sum(String name, Map<String, String> labels) {
        return samples.stream()
                .filter(sample -> sample.name().equals(name))
                .filter(sample -> sample.labels().entrySet().containsAll(labels.entrySet()))
                .mapToDouble(Sample::value)
                .sum();
    }

    public double sum(String name) {
        return sum(name, Map.of());
    }

    private static Sample sample(String line) {
        int brace = line.indexOf('{');
        int space = line.indexOf(' ');
        if (brace < 0 || (space >= 0 && space < brace)) {
            return new Sample(line.substring(0, space), Map.of(), value(line.substring(space + 1)));
        }
        Map<String, String> labels = new LinkedHashMap<>();
        int position = brace + 1;
        while (line.charAt(position) != '}') {
            int equals = line.indexOf('=', position);
            String label = line.substring(position, equals).strip();
            StringBuilder value = new StringBuilder();
            int cursor = equals + 2; // past ="
            for (char c = line.charAt(cursor); c != '"'; c = line.charAt(++cursor)) {
                if (c == '\\') {
                    char escaped = line.charAt(++cursor);
                    value.append(escaped == 'n' ? '\n' : escaped);
                } else {
                    value.append(c);
                }
            }
            labels.put(label, value.toString());
            position = cursor + 1;
            if (line.charAt(position) == ',') {
                position++;
            }
        }
        return new Sample(line.substring(0, brace), labels, value(line.substring(position + 1)));
    }

    /** The value, without the optional timestamp that may follow it. */
    private static double value(String rest) {
        String number = rest.strip().split(" ")[0];
        return switch (number) {
            case "+Inf" -> Double.POSITIVE_INFINITY;
            case "-Inf" -> Double.NEGATIVE_INFINITY;
            default -> Double.parseDouble(number);
        };
    }
}
