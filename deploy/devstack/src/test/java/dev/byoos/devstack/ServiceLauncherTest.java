package dev.byoos.devstack;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Base64;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ServiceLauncherTest {

    @TempDir
    Path dataDir;
    @TempDir
    Path otherDataDir;

    @Test
    void theNotificationSecretKeyIsRandomPerStackOwnerReadableAndKeptAcrossRestarts() throws Exception {
        String key = ServiceLauncher.notificationSecretKey(dataDir);

        assertEquals(32, Base64.getDecoder().decode(key).length);
        assertEquals(key, ServiceLauncher.notificationSecretKey(dataDir), "the database's secrets still decrypt");
        assertNotEquals(key, ServiceLauncher.notificationSecretKey(otherDataDir));
        assertEquals("rw-------", PosixFilePermissions.toString(
                Files.getPosixFilePermissions(dataDir.resolve("notifications/secret-key"))));
    }
}
