package dev.byoos.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SettingsTest {

    @TempDir
    Path home;

    private Path config(String content, String mode) throws Exception {
        Path file = home.resolve(".config/byoos/config");
        Files.createDirectories(file.getParent());
        Files.writeString(file, content);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString(mode));
        return file;
    }

    @Test
    void theConfigFileGivesUrlsAndTokenAndTheEnvironmentWinsKeyByKey() throws Exception {
        config("url = https://byoos.example.com/\npacks-url = https://packs.example.com\ntoken = from-file\n", "rw-------");

        Settings fromFile = Settings.load(Map.of(), home);
        Settings overridden = Settings.load(Map.of(Settings.ENV_TOKEN, "from-env"), home);

        assertEquals(URI.create("https://byoos.example.com"), fromFile.requireSpecService());
        assertEquals(URI.create("https://byoos.example.com"), fromFile.requireArtifacts(), "defaults to the spec-service URL");
        assertEquals(URI.create("https://packs.example.com"), fromFile.requirePacks());
        assertEquals("from-file", fromFile.requireToken());
        assertEquals("from-env", overridden.requireToken());
        assertFalse(fromFile.toString().contains("from-file"), "the token never appears in the settings' text");
    }

    @Test
    void aConfigFileOthersCanReadIsRefusedWithTheFix() throws Exception {
        Path file = config("url = https://byoos.example.com\ntoken = secret-token\n", "rw-r--r--");

        CliException refused = assertThrows(CliException.class, () -> Settings.load(Map.of(), home));
        StubFactory.Run run = StubFactory.run(Map.of(), home, "builds", "list");

        assertEquals(ExitCodes.CONFIGURATION, refused.exitCode());
        assertTrue(refused.getMessage().contains("chmod 600 " + file), refused.getMessage());
        assertEquals(ExitCodes.CONFIGURATION, run.exitCode());
        assertFalse(run.err().contains("secret-token"), run.err());
    }

    @Test
    void byoosConfigNamesAnotherFileAndUrlsMustBeHttp() throws Exception {
        Path other = home.resolve("ci-config");
        Files.writeString(other, "url = file:///etc/passwd\n");
        Files.setPosixFilePermissions(other, PosixFilePermissions.fromString("rw-------"));

        CliException refused = assertThrows(CliException.class,
                () -> Settings.load(Map.of(Settings.ENV_CONFIG, other.toString()), home));

        assertEquals(ExitCodes.CONFIGURATION, refused.exitCode());
        assertTrue(refused.getMessage().contains("must be an http(s) URL"), refused.getMessage());
    }
}
