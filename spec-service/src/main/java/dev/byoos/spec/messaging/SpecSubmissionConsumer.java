package dev.byoos.spec.messaging;

import java.nio.charset.StandardCharsets;

import jakarta.enterprise.context.ApplicationScoped;

import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.jboss.logging.Logger;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.smallrye.mutiny.Uni;
import io.smallrye.reactive.messaging.MutinyEmitter;
import io.smallrye.reactive.messaging.kafka.api.IncomingKafkaRecordMetadata;

import dev.byoos.contract.EventIds;
import dev.byoos.contract.EventJson;
import dev.byoos.contract.EventJson.MalformedEventException;
import dev.byoos.contract.EventTypes;
import dev.byoos.contract.SpecRejected;
import dev.byoos.contract.Topics;
import dev.byoos.messaging.CloudEventMessages;
import dev.byoos.spec.BuildTrigger;
import dev.byoos.spec.model.ImageSpec;
import dev.byoos.spec.service.SpecIntake;
import dev.byoos.spec.validation.SpecParser;
import dev.byoos.spec.validation.SpecRejectedException;
import dev.byoos.spec.validation.SpecReader;

/**
 * Specs submitted by other systems as CloudEvents, in binary or structured content mode. They get
 * the REST API's authentication and validation: a submission whose credential verifies and allows
 * the spec's team ({@link SubmissionAuthenticator}) with an acceptable spec is stored and built
 * exactly as if it had been POSTed (resubmitting it is harmless); anything else is answered on
 * {@value Topics#SPECS_REJECTED} (UNAUTHENTICATED, FORBIDDEN, or every violation of the spec) and
 * stores nothing. Only a record that is not a spec submission at all (no CloudEvent, wrong type,
 * an id, source or time longer than {@value #MAX_ATTRIBUTE_LENGTH} characters) goes to the
 * dead-letter topic, its reason quoting little of it; a database outage is waited out
 * ({@link ConsumerWaits}).
 */
@ApplicationScoped
public class SpecSubmissionConsumer {

    private static final Logger LOG = Logger.getLogger(SpecSubmissionConsumer.class);
    private static final String STRUCTURED_CONTENT_TYPE = "application/cloudevents+json";
    private static final ObjectMapper JSON = new ObjectMapper();
    /**
     * The longest id, source or time accepted. Each is echoed in the submission's rejection event
     * (id as its key), so an unbounded one would make an answer Kafka refuses to carry.
     */
    static final int MAX_ATTRIBUTE_LENGTH = 1024;
    /** How much of a wrong attribute value a dead letter's reason quotes. */
    private static final int QUOTED_LENGTH = 64;

    private final SubmissionAuthenticator authenticator;
    private final SpecReader reader;
    private final SpecIntake intake;
    private final MutinyEmitter<String> rejections;
    private final ConsumerWaits waits;

    public SpecSubmissionConsumer(SubmissionAuthenticator authenticator, SpecReader reader, SpecIntake intake,
            @Channel(Topics.SPECS_REJECTED) MutinyEmitter<String> rejections, ConsumerWaits waits) {
        this.authenticator = authenticator;
        this.reader = reader;
        this.intake = intake;
        this.rejections = rejections;
        this.waits = waits;
    }

    /**
     * A submission's CloudEvent attributes, its credential and its spec document.
     *
     * @param time          the {@code time} attribute as sent, or null
     * @param authorization the {@value SubmissionAuthenticator#AUTHORIZATION} extension attribute, or null
     * @param signature     the {@value SubmissionAuthenticator#SIGNATURE} extension attribute, or null
     */
    record Submission(String id, String source, String type, String time, String authorization, String signature,
            byte[] document, SpecParser.Format format) {
    }

    @Incoming(Topics.SPECS_SUBMITTED)
    public Uni<Void> onSpecSubmitted(Message<String> message) {
        return Uni.createFrom().deferred(() -> {
            Submission submission = submission(message);
            ImageSpec spec;
            SubmissionAuthenticator.Submitter submitter;
            try {
                // Authenticated before the document is even parsed: an anonymous sender learns nothing about it.
                submitter = authenticator.authenticate(submission);
                spec = reader.read(submission.document(), submission.format());
                submitter.requireSubmitterFor(spec.metadata().team());
            } catch (SpecRejectedException e) {
                return reject(submission, e);
            }
            return waits.run(Topics.SPECS_SUBMITTED, () -> intake.accept(spec, BuildTrigger.EVENT))
                    .invoke(accepted -> LOG.infof("submission %s from %s by %s: spec %s/%s version %d",
                            submission.id(), submission.source(), submitter.principal(), accepted.spec().team,
                            accepted.spec().name, accepted.spec().version))
                    .replaceWithVoid()
                    // Rules that need the stored specs (pack names and versions) answer like validation.
                    .onFailure(SpecRejectedException.class)
                    .recoverWithUni(failure -> reject(submission, (SpecRejectedException) failure));
        })
                .onItem().transformToUni(done -> Uni.createFrom().completionStage(message.ack()))
                .onFailure().recoverWithUni(failure -> {
                    LOG.warnf("dead-lettering a spec submission: %s", failure.getMessage());
                    return Uni.createFrom().completionStage(message.nack(failure));
                });
    }

    private Uni<Void> reject(Submission submission, SpecRejectedException rejection) {
        SpecRejected event = new SpecRejected(submission.id(), submission.source(), rejection.violations().stream()
                .map(v -> new SpecRejected.Violation(v.pointer(), v.code(), v.message())).toList());
        LOG.infof("submission %s from %s rejected: %s", submission.id(), submission.source(), rejection.getMessage());
        return rejections.sendMessage(CloudEventMessages.withId(EventIds.forStage(submission.id(), EventTypes.SPEC_REJECTED),
                submission.id(), EventTypes.SPEC_REJECTED, EventJson.write(event)));
    }

    static Submission submission(Message<String> message) {
        Headers headers = message.getMetadata(IncomingKafkaRecordMetadata.class)
                .map(IncomingKafkaRecordMetadata::getHeaders)
                .orElseThrow(() -> new MalformedEventException("not a Kafka record", null));
        String contentType = header(headers, "content-type");
        if (contentType != null && contentType.toLowerCase().startsWith(STRUCTURED_CONTENT_TYPE)) {
            return structured(message.getPayload());
        }
        requireAttribute("specversion", header(headers, "ce_specversion"), "1.0");
        requireAttribute("type", header(headers, "ce_type"), EventTypes.SPEC_SUBMITTED);
        String payload = message.getPayload() == null ? "" : message.getPayload();
        return new Submission(required("id", header(headers, "ce_id")), required("source", header(headers, "ce_source")),
                EventTypes.SPEC_SUBMITTED, optional("time", header(headers, "ce_time")),
                header(headers, "ce_" + SubmissionAuthenticator.AUTHORIZATION),
                header(headers, "ce_" + SubmissionAuthenticator.SIGNATURE),
                payload.getBytes(StandardCharsets.UTF_8), formatOf(contentType));
    }

    private static Submission structured(String value) {
        JsonNode event;
        try {
            event = JSON.readTree(value == null ? "" : value);
        } catch (JsonProcessingException e) {
            throw new MalformedEventException("structured CloudEvent is not JSON: " + e.getOriginalMessage(), e);
        }
        if (event == null || !event.isObject()) {
            throw new MalformedEventException("structured CloudEvent is not a JSON object", null);
        }
        requireAttribute("specversion", event.path("specversion").asText(null), "1.0");
        requireAttribute("type", event.path("type").asText(null), EventTypes.SPEC_SUBMITTED);
        String id = required("id", event.path("id").asText(null));
        String source = required("source", event.path("source").asText(null));
        String time = optional("time", event.path("time").asText(null));
        String authorization = event.path(SubmissionAuthenticator.AUTHORIZATION).asText(null);
        String signature = event.path(SubmissionAuthenticator.SIGNATURE).asText(null);
        JsonNode data = event.path("data");
        if (data.isTextual()) {
            // A YAML (or JSON) document carried as a string; a signature covers exactly this string.
            return new Submission(id, source, EventTypes.SPEC_SUBMITTED, time, authorization, signature,
                    data.asText().getBytes(StandardCharsets.UTF_8), formatOf(event.path("datacontenttype").asText(null)));
        }
        if (data.isObject()) {
            // Re-serialized compactly: a signing sender sends data as a string or in binary mode instead.
            return new Submission(id, source, EventTypes.SPEC_SUBMITTED, time, authorization, signature,
                    data.toString().getBytes(StandardCharsets.UTF_8), SpecParser.Format.JSON);
        }
        throw new MalformedEventException("structured CloudEvent " + id + " carries no spec in data", null);
    }

    private static SpecParser.Format formatOf(String contentType) {
        return contentType != null && contentType.toLowerCase().contains("json")
                ? SpecParser.Format.JSON
                : SpecParser.Format.YAML;
    }

    private static String header(Headers headers, String name) {
        Header header = headers.lastHeader(name);
        return header == null || header.value() == null ? null : new String(header.value(), StandardCharsets.UTF_8);
    }

    private static void requireAttribute(String name, String actual, String expected) {
        if (!expected.equals(actual)) {
            String quoted = actual == null || actual.length() <= QUOTED_LENGTH ? "'" + actual + "'"
                    : "'" + actual.substring(0, QUOTED_LENGTH) + "…' (" + actual.length() + " characters)";
            throw new MalformedEventException("CloudEvent " + name + " is " + quoted + ", expected '" + expected + "'",
                    null);
        }
    }

    private static String required(String name, String value) {
        if (value == null || value.isBlank()) {
            throw new MalformedEventException("CloudEvent attribute " + name + " is missing", null);
        }
        return optional(name, value);
    }

    private static String optional(String name, String value) {
        if (value != null && value.length() > MAX_ATTRIBUTE_LENGTH) {
            throw new MalformedEventException("CloudEvent attribute " + name + " is " + value.length()
                    + " characters long, at most " + MAX_ATTRIBUTE_LENGTH, null);
        }
        return value;
    }
}
