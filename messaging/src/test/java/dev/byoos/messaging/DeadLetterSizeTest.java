package dev.byoos.messaging;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CompletionException;

import org.apache.kafka.common.errors.NotEnoughReplicasException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.junit.jupiter.api.Test;

class DeadLetterSizeTest {

    @Test
    void whatKafkaNeverTakesIsRefusedForGood() {
        assertTrue(DeadLetterSize.refusedForGood(new RecordTooLargeException("1048868 bytes")));
        assertTrue(DeadLetterSize.refusedForGood(new CompletionException(new TopicAuthorizationException("no write"))));
    }

    @Test
    void aPassingOutageIsNotEvenWhenWrapped() {
        assertFalse(DeadLetterSize.refusedForGood(new TimeoutException("expired after 120000 ms")));
        assertFalse(DeadLetterSize.refusedForGood(new CompletionException(new NotEnoughReplicasException("1 of 3"))));
    }
}
