package dev.byoos.localauth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.X509EncodedKeySpec;
import java.time.Duration;
import java.util.Base64;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LocalTokensTest {

    @TempDir
    Path dir;

    @Test
    void mintsAnRs256TokenThatItsPublicKeyVerifies() throws Exception {
        String token = LocalTokens.in(dir).mint("alice", List.of("platform", "edge"), List.of("submitter"),
                Duration.ofMinutes(5));
        String[] parts = token.split("\\.");
        assertEquals(3, parts.length);
        String claims = new String(Base64.getUrlDecoder().decode(parts[1]), StandardCharsets.UTF_8);
        assertTrue(claims.contains("\"sub\":\"alice\""), claims);
        assertTrue(claims.contains("\"teams\":[\"platform\",\"edge\"]"), claims);
        assertTrue(claims.contains("\"groups\":[\"submitter\"]"), claims);
        assertTrue(claims.contains("\"iss\":\"" + LocalTokens.ISSUER + "\""), claims);
        // The services check audience and age (byoos.auth.audience, byoos.auth.max-token-age).
        assertTrue(claims.contains("\"aud\":\"" + LocalTokens.AUDIENCE + "\""), claims);
        assertTrue(claims.matches(".*\"iat\":\\d+,.*"), claims);

        assertTrue(verify(token, publicKey()));
        String tampered = parts[0] + "." + Base64.getUrlEncoder().withoutPadding()
                .encodeToString(claims.replace("platform", "finance").getBytes(StandardCharsets.UTF_8)) + "." + parts[2];
        assertFalse(verify(tampered, publicKey()));
    }

    @Test
    void keepsItsKeyPairAcrossLoads() throws Exception {
        String first = LocalTokens.in(dir).mint("bob", List.of("a"), List.of("viewer"), Duration.ofMinutes(1));
        assertTrue(verify(first, publicKey()), "a token from an earlier load verifies with the stored key");
        assertTrue(verify(LocalTokens.in(dir).mint("bob", List.of("a"), List.of("viewer"), Duration.ofMinutes(1)),
                publicKey()));
    }

    @Test
    void refusesNamesThatAreNotPlain() throws Exception {
        LocalTokens tokens = LocalTokens.in(dir);
        assertThrows(IllegalArgumentException.class,
                () -> tokens.mint("x\",\"groups\":[\"admin", List.of("a"), List.of("viewer"), Duration.ofMinutes(1)));
        assertThrows(IllegalArgumentException.class,
                () -> tokens.mint("x", List.of("a b"), List.of("viewer"), Duration.ofMinutes(1)));
    }

    private PublicKey publicKey() throws Exception {
        String pem = Files.readString(LocalTokens.in(dir).publicKeyFile()).replaceAll("-----[A-Z ]+-----", "")
                .replaceAll("\\s", "");
        return KeyFactory.getInstance("RSA").generatePublic(new X509EncodedKeySpec(Base64.getDecoder().decode(pem)));
    }

    private static boolean verify(String token, PublicKey key) throws Exception {
        int lastDot = token.lastIndexOf('.');
        Signature signature = Signature.getInstance("SHA256withRSA");
        signature.initVerify(key);
        signature.update(token.substring(0, lastDot).getBytes(StandardCharsets.US_ASCII));
        return signature.verify(Base64.getUrlDecoder().decode(token.substring(lastDot + 1)));
    }
}
