package io.github.libvirthooks.features.script;

import io.github.libvirthooks.features.engine.FeatureException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Objects;
import java.util.Set;

/**
 * Refuses a file that the hook would run as root (a script, a feature jar) unless only root can
 * change it: the file and every folder above it, up to {@code /}, must be owned by root and not
 * writable by group or others. Otherwise whoever can write one of them can run commands as root
 * at the next VM start. Symbolic links are checked as links and then along their target.
 */
public final class SafePath {
    private final int ownerUid;
    private final Path checkedUpTo;

    /**
     * @param ownerUid    the owner every checked path must have (0 on a real host)
     * @param checkedUpTo the last folder checked on the way up: {@code /} on a real host; tests
     *                    stop at their temporary folder, whose parents ({@code /tmp}) are not theirs
     */
    public SafePath(int ownerUid, Path checkedUpTo) {
        this.ownerUid = ownerUid;
        this.checkedUpTo = Objects.requireNonNull(checkedUpTo, "checkedUpTo").toAbsolutePath().normalize();
    }

    /** The check the hook makes: owned by root, up to {@code /}. */
    public static SafePath rootOnly() {
        return new SafePath(0, Path.of("/"));
    }

    /**
     * Checks one file.
     *
     * @param file       absolute path of the file
     * @param what       what it is, for the message ("script", "feature jar")
     * @param executable true when it must be executable by its owner
     * @throws UnsafePathException saying what is wrong and the command that fixes it
     */
    public void check(Path file, String what, boolean executable) {
        if (!file.isAbsolute()) {
            throw new UnsafePathException(what + " " + file + ": give an absolute path");
        }
        Path given = file.normalize();
        Path real;
        try {
            real = given.toRealPath();
        } catch (NoSuchFileException e) {
            throw new UnsafePathException(what + ": " + given + " does not exist");
        } catch (IOException e) {
            throw new UnsafePathException(what + ": " + given + " cannot be read: " + e.getMessage());
        }
        if (!Files.isRegularFile(real)) {
            throw new UnsafePathException(what + ": " + given + " is not a regular file");
        }
        chain(given, given, what);
        if (!real.equals(given)) {
            chain(real, given, what);
        }
        if (executable) {
            PosixFileAttributes attributes = attributes(real, given, what);
            if (!attributes.permissions().contains(PosixFilePermission.OWNER_EXECUTE)) {
                throw new UnsafePathException(what + ": " + given + " is not executable; chmod 755 " + given);
            }
        }
    }

    private void chain(Path path, Path given, String what) {
        boolean inside = path.startsWith(checkedUpTo);
        for (Path p = path; p != null; p = p.getParent()) {
            if (inside && !p.startsWith(checkedUpTo)) {
                return;
            }
            PosixFileAttributes attributes = attributes(p, given, what);
            int uid = uid(p, given, what);
            String subject = p.equals(given) ? what + ": " + given : what + ": " + given + " lies in " + p + ", which";
            if (uid != ownerUid) {
                throw new UnsafePathException(subject + " is owned by uid " + uid + ", not "
                        + (ownerUid == 0 ? "root" : "uid " + ownerUid) + ": a hook runs as root, so its owner could run commands"
                        + " as root; chown root:root " + p + " (or move it)");
            }
            if (attributes.isSymbolicLink()) {
                continue; // a link's own mode means nothing; its target is checked along the real path
            }
            Set<PosixFilePermission> mode = attributes.permissions();
            if (mode.contains(PosixFilePermission.GROUP_WRITE) || mode.contains(PosixFilePermission.OTHERS_WRITE)) {
                // A sticky shared folder (/tmp) must stay writable: the fix is to move the script, not to chmod the folder.
                String fix = !p.equals(given) && sticky(p) ? "move it out of " + p : "chmod go-w " + p;
                throw new UnsafePathException(subject + " is writable by group or others (" + PosixFilePermissions.toString(mode)
                        + "): a hook runs as root, so anyone who can write there could run commands as root; " + fix);
            }
        }
    }

    private static PosixFileAttributes attributes(Path p, Path given, String what) {
        try {
            return Files.readAttributes(p, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (IOException | UnsupportedOperationException e) {
            throw new UnsafePathException(what + ": " + given + ": cannot read the owner and mode of " + p + ": " + e.getMessage());
        }
    }

    private static boolean sticky(Path p) {
        try {
            return ((Integer) Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS) & 01000) != 0;
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
            return false;
        }
    }

    private static int uid(Path p, Path given, String what) {
        try {
            return (Integer) Files.getAttribute(p, "unix:uid", LinkOption.NOFOLLOW_LINKS);
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
            throw new UnsafePathException(what + ": " + given + ": cannot read the owner of " + p + ": " + e.getMessage());
        }
    }

    /** A file the hook would run as root could be changed by someone else than root. */
    public static final class UnsafePathException extends FeatureException {
        public UnsafePathException(String message) {
            super(message);
        }
    }
}
