package dev.byoos.system;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;

import com.google.protobuf.ByteString;

import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.resource.v1.Resource;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;

class OtlpCollectorTest {

    private static final String TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";

    @Test
    void keepsTheSpansOfAnOtlpHttpProtobufExportWithTheirService() throws Exception {
        ExportTraceServiceRequest export = ExportTraceServiceRequest.newBuilder()
                .addResourceSpans(ResourceSpans.newBuilder()
                        .setResource(Resource.newBuilder().addAttributes(KeyValue.newBuilder().setKey("service.name")
                                .setValue(AnyValue.newBuilder().setStringValue("spec-service"))))
                        .addScopeSpans(ScopeSpans.newBuilder().addSpans(Span.newBuilder()
                                .setTraceId(ByteString.copyFrom(HexFormat.of().parseHex(TRACE_ID)))
                                .setSpanId(ByteString.copyFrom(HexFormat.of().parseHex("00f067aa0ba902b7")))
                                .setName("POST /api/v1/specs"))))
                .build();
        try (OtlpCollector collector = OtlpCollector.start()) {
            HttpResponse<Void> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create(collector.endpoint() + "/v1/traces"))
                    .header("Content-Type", "application/x-protobuf")
                    .POST(HttpRequest.BodyPublishers.ofByteArray(export.toByteArray())).build(),
                    HttpResponse.BodyHandlers.discarding());

            assertEquals(200, response.statusCode());
            assertEquals(Set.of("spec-service"), collector.servicesIn(TRACE_ID));
            assertEquals(List.of(new OtlpCollector.ReceivedSpan(TRACE_ID, "spec-service", "POST /api/v1/specs")),
                    collector.spansOf(TRACE_ID));
        }
    }

    @Test
    void refusesWhatIsNotAnExport() throws Exception {
        try (OtlpCollector collector = OtlpCollector.start()) {
            HttpResponse<Void> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create(collector.endpoint() + "/v1/traces"))
                    .POST(HttpRequest.BodyPublishers.ofString("not protobuf")).build(),
                    HttpResponse.BodyHandlers.discarding());
            assertEquals(400, response.statusCode());
        }
    }
}
