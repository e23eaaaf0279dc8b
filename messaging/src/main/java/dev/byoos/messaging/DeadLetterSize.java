package dev.byoos.messaging;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.record.AbstractRecords;
import org.apache.kafka.common.record.CompressionType;
import org.apache.kafka.common.record.RecordBatch;

import io.smallrye.reactive.messaging.kafka.IncomingKafkaRecord;

/** What a dead letter would weigh, and which refusals of one are for good. */
final class DeadLetterSize {

    /** The producer's {@code max.request.size} by default; no service changes it for its dead letters. */
    static final int MAX_REQUEST_BYTES = 1024 * 1024;

    private DeadLetterSize() {
    }

    /**
     * The size the producer will reckon for the dead letter of {@code record} failed with
     * {@code reason}: its key, value and headers, and the headers the connector's dead-letter queue
     * adds. 0 when the key or value is of a type whose serialized size is not known here (the write is
     * then simply tried).
     */
    static int estimate(IncomingKafkaRecord<?, ?> record, Throwable reason) {
        byte[] key = bytes(record.getKey());
        byte[] value = bytes(record.getPayload());
        if (key == null && record.getKey() != null || value == null && record.getPayload() != null) {
            return 0;
        }
        List<Header> headers = new ArrayList<>();
        record.getHeaders().forEach(headers::add);
        add(headers, "dead-letter-exception-class-name", reason.getClass().getName());
        add(headers, "dead-letter-reason", String.valueOf(reason.getMessage()));
        if (reason.getCause() != null) {
            add(headers, "dead-letter-cause-class-name", reason.getCause().getClass().getName());
            add(headers, "dead-letter-cause", String.valueOf(reason.getCause().getMessage()));
        }
        add(headers, "dead-letter-topic", record.getTopic());
        add(headers, "dead-letter-partition", Integer.toString(record.getPartition()));
        add(headers, "dead-letter-offset", Long.toString(record.getOffset()));
        return AbstractRecords.estimateSizeInBytesUpperBound(RecordBatch.CURRENT_MAGIC_VALUE, CompressionType.NONE,
                key, value, headers.toArray(Header[]::new));
    }

    /** Whether Kafka would refuse the write again, whenever tried: not a passing outage, not a moving leader. */
    static boolean refusedForGood(Throwable failure) {
        // Bounded: a cause chain can be made to loop (initCause on an ancestor).
        Throwable cause = failure;
        for (int depth = 0; cause != null && depth < 32; depth++, cause = cause.getCause()) {
            if (cause instanceof RetriableException) {
                return false;
            }
        }
        return true;
    }

    private static void add(List<Header> headers, String name, String value) {
        headers.add(new RecordHeader(name, value.getBytes(StandardCharsets.UTF_8)));
    }

    private static byte[] bytes(Object content) {
        if (content instanceof String text) {
            return text.getBytes(StandardCharsets.UTF_8);
        }
        return content instanceof byte[] raw ? raw : null;
    }
}
