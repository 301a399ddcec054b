using System.Buffers.Binary;
using Microsoft.Win32.SafeHandles;
using MovData.Edits;

namespace MovData.Media.IsoBmff;

/// <summary>
/// A cut's manifest carried at the end of the MP4 or MOV of removed parts, in one top-level
/// <c>uuid</c> box of MovData's own type (<see cref="Uuid"/>): demuxers skip a uuid box they
/// do not know (ffmpeg reads only XMP's, PSP's and spherical video's), so the file plays as
/// before and ffprobe lists no extra stream (tests judge both). It is the file's last box, so
/// a restore finds it by walking the top-level box headers, a handful of small reads.
/// </summary>
internal static class ManifestBox
{
    /// <summary>The box's extended type: MovData's manifest, and nothing else's.</summary>
    private static readonly byte[] Uuid = [0x57, 0x68, 0x2D, 0x44, 0xB1, 0x04, 0x45, 0xE4, 0x87, 0x7B, 0xCB, 0xB9, 0x98, 0xAE, 0x8E, 0x6B];

    private static readonly uint Type = FourCc.Of("uuid");

    /// <summary>The uuid box that carries <paramref name="carried"/>, to be written at
    /// <paramref name="at"/>, the end of the saved file's content.</summary>
    internal static Patch Carry(long at, byte[] carried)
    {
        long size = 8 + Uuid.Length + (long)carried.Length;
        bool large = size > uint.MaxValue;
        int header = large ? 16 : 8;
        byte[] box = new byte[header + Uuid.Length + carried.Length];
        BinaryPrimitives.WriteUInt32BigEndian(box, large ? 1 : (uint)size);
        BinaryPrimitives.WriteUInt32BigEndian(box.AsSpan(4), Type);
        if (large)
        {
            BinaryPrimitives.WriteInt64BigEndian(box.AsSpan(8), size + 8);
        }
        Uuid.CopyTo(box, header);
        carried.CopyTo(box, header + Uuid.Length);
        return new Patch(at, box.Length, box);
    }

    /// <exception cref="InvalidDataException">The file's last box is cut short, or is not
    /// MovData's manifest box; the message says which.</exception>
    /// <summary>Whether the movie's last top-level box is MovData's manifest box (read: its uuid).</summary>
    internal static bool Ends(Movie movie)
    {
        Box last = movie.TopLevel[^1];
        byte[] uuid = new byte[Uuid.Length];
        return last.Type == Type && last.End == movie.Size && last.PayloadSize >= Uuid.Length
            && MediaReads.Read(movie.File, uuid, last.PayloadOffset) == uuid.Length && uuid.AsSpan().SequenceEqual(Uuid);
    }

    internal static (byte[] Carried, long At) Find(SafeFileHandle file, long size, string path)
    {
        List<Box> top = Boxes.TopLevel(file, size, out string? problem, CancellationToken.None);
        if (top.Count == 0)
        {
            throw new InvalidDataException($"{path} is not a file of removed parts from `movdata cut --save-removed`: it holds no box");
        }
        Box last = top[^1];
        if (problem is not null || last.End != size)
        {
            throw new InvalidDataException($"{path} is truncated: its last box, '{last.Name}' at offset {last.Offset}, {(problem is null ? "ends before the file does" : $"is damaged ({problem})")}, where a file of removed parts ends in its whole manifest");
        }
        byte[] uuid = new byte[Uuid.Length];
        bool ours = last.Type == Type && last.PayloadSize >= Uuid.Length && MediaReads.Read(file, uuid, last.PayloadOffset) == uuid.Length && uuid.AsSpan().SequenceEqual(Uuid);
        if (!ours)
        {
            throw new InvalidDataException($"{path} is not a file of removed parts from `movdata cut --save-removed`: its last box is '{last.Name}', which carries no MovData manifest (a recording of its own, or one appended to)");
        }
        if (last.PayloadSize - Uuid.Length > int.MaxValue)
        {
            throw new InvalidDataException($"{path} is damaged: its manifest box claims {last.PayloadSize} bytes, more than any manifest");
        }
        return (MediaReads.ReadAll(file, last.PayloadOffset + Uuid.Length, last.PayloadSize - Uuid.Length), last.Offset);
    }
}
