package dev.byoos.system;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.zip.GZIPInputStream;

import com.google.protobuf.InvalidProtocolBufferException;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;

/**
 * A real OTLP/HTTP trace receiver on loopback: the services export to it exactly as they would to
 * an OpenTelemetry Collector ({@code POST /v1/traces}, protobuf), and it keeps every span it
 * decoded with the name of the service that sent it.
 */
final class OtlpCollector implements AutoCloseable {

    /** One received span: its trace, the exporting service ({@code service.name}) and its name. */
    record ReceivedSpan(String traceId, String service, String name) {
    }

    private final HttpServer server;
    private final List<ReceivedSpan> spans = new ArrayList<>();

    private OtlpCollector(HttpServer server) {
        this.server = server;
    }

    static OtlpCollector start() throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        OtlpCollector collector = new OtlpCollector(server);
        server.createContext("/v1/traces", collector::receive);
        server.start();
        return collector;
    }

    /** The base URL the services' OTLP trace exporter is pointed at. */
    String endpoint() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    /** The services that sent spans of {@code traceId} so far. */
    synchronized Set<String> servicesIn(String traceId) {
        Set<String> services = new TreeSet<>();
        spans.stream().filter(span -> span.traceId().equals(traceId)).forEach(span -> services.add(span.service()));
        return services;
    }

    synchronized List<ReceivedSpan> spansOf(String traceId) {
        return spans.stream().filter(span -> span.traceId().equals(traceId)).toList();
    }

    private void receive(HttpExchange exchange) throws IOException {
        try (exchange) {
            if (!"POST".equals(exchange.getRequestMethod())) {
                exchange.sendResponseHeaders(405, -1);
                return;
            }
            ExportTraceServiceRequest request;
            try (InputStream body = "gzip".equalsIgnoreCase(exchange.getRequestHeaders().getFirst("Content-Encoding"))
                    ? new GZIPInputStream(exchange.getRequestBody()) : exchange.getRequestBody()) {
                request = ExportTraceServiceRequest.parseFrom(body);
            } catch (InvalidProtocolBufferException e) {
                // The exporter logs the refusal, so a broken export shows in the service's log.
                exchange.sendResponseHeaders(400, -1);
                return;
            }
            record(request);
            byte[] response = ExportTraceServiceResponse.getDefaultInstance().toByteArray();
            exchange.getResponseHeaders().add("Content-Type", "application/x-protobuf");
            exchange.sendResponseHeaders(200, response.length);
            exchange.getResponseBody().write(response);
        }
    }

    private synchronized void record(ExportTraceServiceRequest request) {
        for (ResourceSpans resourceSpans : request.getResourceSpansList()) {
            String service = resourceSpans.getResource().getAttributesList().stream()
                    .filter(attribute -> attribute.getKey().equals("service.name"))
                    .map(KeyValue::getValue).map(value -> value.getStringValue())
                    .findFirst().orElse("unknown");
            for (ScopeSpans scopeSpans : resourceSpans.getScopeSpansList()) {
                scopeSpans.getSpansList().forEach(span -> spans.add(new ReceivedSpan(
                        HexFormat.of().formatHex(span.getTraceId().toByteArray()), service, span.getName())));
            }
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
