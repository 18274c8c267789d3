package io.github.libvirthooks.sysfs;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * What {@code lstat} says of one path: never what a link there points to.
 *
 * @param kind  regular file, directory, symbolic link, device or other
 * @param uid   the owner's uid ({@code -1} when unknown: a dry run's own file)
 * @param gid   the group's gid ({@code -1} when unknown)
 * @param mode  the permission bits ({@code 0660}), without the file type
 * @param size  the size in bytes
 * @param inode the inode number, which tells a file from another made at the same path later
 */
public record FileStatus(Kind kind, int uid, int gid, int mode, long size, long inode) {
    /** The kinds of file this code tells apart. */
    public enum Kind { REGULAR, DIRECTORY, LINK, CHARACTER_DEVICE, OTHER }

    private static final int S_IFMT = 0170000;

    /** {@code uid:gid mode}, the mode in octal: {@code 1000:994 0660}. */
    public String ownership() {
        return ownership(uid, gid, mode);
    }

    /** {@code uid:gid mode} for these values. */
    public static String ownership(int uid, int gid, int mode) {
        return uid + ":" + gid + " " + String.format("%04o", mode);
    }

    /** For messages: {@code a regular file of 33554432 bytes, 1000:994 0660}. */
    public String describe() {
        String what = switch (kind) {
            case REGULAR -> "a regular file of " + size + " bytes";
            case DIRECTORY -> "a directory";
            case LINK -> "a symbolic link";
            case CHARACTER_DEVICE -> "a character device";
            case OTHER -> "a special file";
        };
        return what + ", " + ownership();
    }

    static Optional<FileStatus> read(String hostPath, Path file) {
        try {
            Map<String, Object> a = Files.readAttributes(file, "unix:mode,uid,gid,size,ino", LinkOption.NOFOLLOW_LINKS);
            int mode = (Integer) a.get("mode");
            Kind kind = switch (mode & S_IFMT) {
                case 0100000 -> Kind.REGULAR;
                case 0040000 -> Kind.DIRECTORY;
                case 0120000 -> Kind.LINK;
                case 0020000 -> Kind.CHARACTER_DEVICE;
                default -> Kind.OTHER;
            };
            return Optional.of(new FileStatus(kind, (Integer) a.get("uid"), (Integer) a.get("gid"), mode & 07777,
                    (Long) a.get("size"), (Long) a.get("ino")));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new HostAccessException(hostPath, "cannot read the status of " + hostPath + ": " + HostRoot.reason(e), e);
        }
    }

    /** Owner and group with {@code lchown}, then the mode through a descriptor opened with {@code O_NOFOLLOW}. */
    static void own(Path file, int uid, int gid, int mode) throws IOException {
        Files.setAttribute(file, "unix:uid", uid, LinkOption.NOFOLLOW_LINKS);
        Files.setAttribute(file, "unix:gid", gid, LinkOption.NOFOLLOW_LINKS);
        Files.setAttribute(file, "unix:mode", mode, LinkOption.NOFOLLOW_LINKS);
    }
}
