package dev.byoos.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import okhttp3.ConnectionSpec;
import okhttp3.OkHttpClient;

class S3ClientProducerTest {

    /** What MinIO does to the client for every object write (S3Base.executeAsync). */
    private static OkHttpClient copyForPut(OkHttpClient client) {
        return client.newBuilder().retryOnConnectionFailure(false).build();
    }

    @Test
    void anHttpEndpointGetsACleartextOnlyClientWhoseCopiesSetUpNoTls() {
        OkHttpClient copy = copyForPut(S3ClientProducer.httpClient("http://127.0.0.1:9000"));

        assertEquals(List.of(ConnectionSpec.CLEARTEXT), copy.connectionSpecs());
        assertNull(copy.x509TrustManager());
    }

    @ParameterizedTest
    @ValueSource(strings = {"https://s3.example.test", "s3.example.test:9000"})
    void anHttpsEndpointKeepsFullVerificationAndItsCopiesDeriveNoTrustState(String endpoint) {
        OkHttpClient platform = new OkHttpClient();
        OkHttpClient copy = copyForPut(S3ClientProducer.httpClient(endpoint));

        assertEquals(platform.connectionSpecs(), copy.connectionSpecs());
        assertSame(platform.hostnameVerifier(), copy.hostnameVerifier());
        assertNotNull(copy.x509TrustManager());
        assertEquals(platform.x509TrustManager().getAcceptedIssuers().length,
                copy.x509TrustManager().getAcceptedIssuers().length);
        assertTrue(copy.certificatePinner().getPins().isEmpty());
        // A pinner bound to another (equal) chain cleaner makes every copy compare all CA roots.
        assertSame(copy.certificateChainCleaner(), copy.certificatePinner().getCertificateChainCleaner$okhttp());
    }
}
