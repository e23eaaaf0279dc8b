package dev.byoos.spec.notify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Proxy;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

import org.junit.jupiter.api.Test;

class SecretCipherTest {

    static final String KEY = "niUh/suzeTTy+Pze1elnGCnUiXJYiO1wdesC+e+eMBc=";
    static final String OLD_KEY = "s+eqHvBIMcNxwO+6zxkF6W3RAnRklwEiVI7hP5Moc6g=";
    static final String SECRET = "p0AeJ7yQ3gq8xWn2bVt5s6u4r1o9i8k7j6h5g4f3e2d";

    final UUID id = UUID.randomUUID();

    @Test
    void aSealedSecretHoldsNoTraceOfTheSecretAndOpensOnlyForItsOwnSubscription() {
        SecretCipher cipher = new SecretCipher(KEY, List.of());
        String sealed = cipher.seal(id, SECRET);

        assertTrue(sealed.startsWith("v1:" + cipher.currentKeyId() + ":"), sealed);
        assertFalse(sealed.contains(SECRET), sealed);
        assertNotEquals(sealed, cipher.seal(id, SECRET), "a fresh nonce every time");
        assertEquals(new SecretCipher.Opened(SECRET, false), cipher.open(id, sealed));
        var moved = assertThrows(SecretCipher.UnreadableSecretException.class,
                () -> cipher.open(UUID.randomUUID(), sealed));
        assertTrue(moved.getMessage().contains("copied from another subscription"), moved.getMessage());
    }

    @Test
    void aPreviousKeyStillOpensWhatItSealedAndMarksItForResealingWhileAnUnknownKeyIsNamed() {
        String sealedBefore = new SecretCipher(OLD_KEY, List.of()).seal(id, SECRET);

        assertEquals(new SecretCipher.Opened(SECRET, true), new SecretCipher(KEY, List.of(OLD_KEY)).open(id, sealedBefore));
        SecretCipher withoutOldKey = new SecretCipher(KEY, List.of());
        var unknown = assertThrows(SecretCipher.UnreadableSecretException.class,
                () -> withoutOldKey.open(id, sealedBefore));
        assertTrue(unknown.getMessage().contains("encrypted under key " + new SecretCipher(OLD_KEY, List.of())
                .currentKeyId()), unknown.getMessage());
    }

    @Test
    void aSecretStoredBeforeEncryptionIsReturnedAsItIsAndMarkedForSealing() {
        assertEquals(new SecretCipher.Opened(SECRET, true), new SecretCipher(KEY, List.of()).open(id, SECRET));
    }

    @Test
    void anEmptySecretInPlainTextOrSealedIsRefusedForItCannotKeyTheSignature() {
        SecretCipher cipher = new SecretCipher(KEY, List.of());

        var plain = assertThrows(SecretCipher.UnreadableSecretException.class, () -> cipher.open(id, ""));
        var sealed = assertThrows(SecretCipher.UnreadableSecretException.class, () -> cipher.open(id, cipher.seal(id, "")));

        assertEquals("its secret is empty", plain.getMessage());
        assertEquals("its secret is empty", sealed.getMessage());
    }

    @Test
    void aTamperedOrMalformedValueIsRefusedWithItsReason() {
        SecretCipher cipher = new SecretCipher(KEY, List.of());
        String sealed = cipher.seal(id, SECRET);
        char last = sealed.charAt(sealed.length() - 2);
        String flipped = sealed.substring(0, sealed.length() - 2) + (last == 'A' ? 'B' : 'A') + sealed.charAt(sealed.length() - 1);

        assertThrows(SecretCipher.UnreadableSecretException.class, () -> cipher.open(id, flipped));
        assertThrows(SecretCipher.UnreadableSecretException.class, () -> cipher.open(id, "v1:" + cipher.currentKeyId()));
        assertThrows(SecretCipher.UnreadableSecretException.class,
                () -> cipher.open(id, "v1:" + cipher.currentKeyId() + ":!!:!!"));
    }

    @Test
    void withoutAKeyTheCipherCannotBeMadeAndSaysWhatToSet() {
        // Only the two key settings are read; every setting of this stand-in is unset.
        NotificationConfig unset = (NotificationConfig) Proxy.newProxyInstance(getClass().getClassLoader(),
                new Class<?>[] { NotificationConfig.class }, (proxy, method, arguments) -> Optional.empty());
        var missing = assertThrows(IllegalStateException.class, () -> new SecretCipher(unset));
        assertTrue(missing.getMessage().contains("set BYOOS_SPEC_NOTIFICATIONS_SECRET_KEY"), missing.getMessage());
    }

    @Test
    void aKeyThatIsNotThirtyTwoBase64BytesIsRefusedNamingTheSetting() {
        var shortKey = assertThrows(IllegalStateException.class, () -> new SecretCipher("c2hvcnQ=", List.of()));
        assertTrue(shortKey.getMessage().contains("byoos.spec.notifications.secret-key is 5 bytes"), shortKey.getMessage());
        var notBase64 = assertThrows(IllegalStateException.class, () -> new SecretCipher(KEY, List.of("not base64!")));
        assertTrue(notBase64.getMessage().contains("previous-secret-keys[0] is not base64"), notBase64.getMessage());
    }
}
