package dev.layerskip.compat;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Reads the class, method and field references out of a class file's constant pool. */
final class ClassFileReferences {

    /** One reference: kind is "class", "method" or "field"; name and descriptor are empty for classes. */
    record Ref(String kind, String owner, String name, String descriptor) {
        @Override
        public String toString() {
            return kind.equals("class") ? owner : owner + "." + name + (kind.equals("field") ? ":" : "") + descriptor;
        }
    }

    private ClassFileReferences() {}

    static List<Ref> read(Path classFile) throws IOException {
        try (InputStream in = Files.newInputStream(classFile);
                DataInputStream data = new DataInputStream(in)) {
            if (data.readInt() != 0xCAFEBABE) {
                throw new IOException(classFile + " is not a class file");
            }
            data.readUnsignedShort();
            data.readUnsignedShort();
            int count = data.readUnsignedShort();
            Object[] pool = new Object[count];
            int[][] links = new int[count][];
            int[] tags = new int[count];
            for (int i = 1; i < count; i++) {
                int tag = data.readUnsignedByte();
                tags[i] = tag;
                switch (tag) {
                    case 1 -> pool[i] = data.readUTF();
                    case 3, 4 -> data.readInt();
                    case 5, 6 -> {
                        data.readLong();
                        i++;
                    }
                    case 7, 8, 16, 19, 20 -> links[i] = new int[] {data.readUnsignedShort()};
                    case 9, 10, 11, 12, 17, 18 -> links[i] = new int[] {data.readUnsignedShort(), data.readUnsignedShort()};
                    case 15 -> {
                        data.readUnsignedByte();
                        data.readUnsignedShort();
                    }
                    default -> throw new IOException(classFile + ": unknown constant pool tag " + tag);
                }
            }
            List<Ref> refs = new ArrayList<>();
            for (int i = 1; i < count; i++) {
                switch (tags[i]) {
                    case 7 -> refs.add(new Ref("class", (String) pool[links[i][0]], "", ""));
                    case 9, 10, 11 -> {
                        String owner = (String) pool[links[links[i][0]][0]];
                        int[] nameAndType = links[links[i][1]];
                        refs.add(new Ref(tags[i] == 9 ? "field" : "method", owner,
                                (String) pool[nameAndType[0]], (String) pool[nameAndType[1]]));
                    }
                    default -> { }
                }
            }
            return refs;
        }
    }
}
