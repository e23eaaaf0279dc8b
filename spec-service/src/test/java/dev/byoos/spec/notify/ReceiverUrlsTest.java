package dev.byoos.spec.notify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Optional;

import org.junit.jupiter.api.Test;

class ReceiverUrlsTest {

    private final ReceiverUrls urls = new ReceiverUrls(List.of("hooks.internal.test", "10.9.9.9"));

    @Test
    void internalAddressesAreRefusedUnlessAllowListed() {
        for (String url : List.of("https://127.0.0.1/hook", "https://10.0.0.1/", "https://172.16.5.4/",
                "https://192.168.1.1/", "https://169.254.169.254/latest/meta-data/", "https://0.0.0.0/",
                "https://100.64.0.1/", "https://[::1]/", "https://[fd00::1]/", "https://[fe80::1]/",
                "https://[::ffff:10.0.0.1]/", "https://224.0.0.1/")) {
            assertTrue(urls.refusal(url).orElse("").contains("internal address"), url + ": " + urls.refusal(url));
        }
        assertEquals(Optional.empty(), urls.refusal("http://10.9.9.9:8080/hook"));
        assertEquals(Optional.empty(), urls.refusal("http://hooks.internal.test/hook"));
        assertEquals(Optional.empty(), urls.refusal("https://93.184.216.34/hook"));
    }

    @Test
    void onlyAllowListedHostsMayUseHttpAndNoUrlCarriesCredentials() {
        assertTrue(urls.refusal("http://93.184.216.34/hook").orElseThrow().startsWith("must be https"));
        assertTrue(urls.refusal("ftp://93.184.216.34/hook").orElseThrow().startsWith("must be an absolute https URL"));
        assertTrue(urls.refusal("/relative").orElseThrow().startsWith("must be an absolute https URL"));
        assertTrue(urls.refusal("https://user:pw@93.184.216.34/").orElseThrow().contains("credentials"));
        assertTrue(urls.refusal("https://exa mple/").orElseThrow().contains("is not a URL"));
    }
}
