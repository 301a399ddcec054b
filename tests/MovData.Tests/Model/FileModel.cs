namespace MovData.Tests.Model;

/// <summary>What the model knows of a block: data, hole, or not knowable (preallocated or
/// zeroed space, which filesystems report either way).</summary>
public enum BlockState
{
    Hole,
    Data,
    Unknown,
}

/// <summary>One file as the model believes it: its bytes, and the state of each block.</summary>
public sealed class FileModel(string path)
{
    public const int B = 4096;

    public string Path { get; } = path;
    public byte[] Bytes { get; private set; } = [];
    public List<BlockState> States { get; } = [];

    public long Size => Bytes.LongLength;

    public static int Blocks(long size) => (int)((size + B - 1) / B);

    /// <summary>Grows or shrinks; new bytes are zeros and new blocks <paramref name="grown"/>.</summary>
    public void Resize(long size, BlockState grown)
    {
        int before = States.Count;
        byte[] bytes = Bytes;
        Array.Resize(ref bytes, (int)size);
        Bytes = bytes;
        int after = Blocks(size);
        if (after < before)
        {
            States.RemoveRange(after, before - after);
        }
        while (States.Count < after)
        {
            States.Add(grown);
        }
    }

    public void Write(long offset, byte[] data)
    {
        if (offset + data.Length > Size)
        {
            Resize(offset + data.Length, BlockState.Unknown);
        }
        data.CopyTo(Bytes, offset);
        for (long b = offset / B; b < (offset + data.Length + B - 1) / B; b++)
        {
            States[(int)b] = BlockState.Data;
        }
    }

    /// <summary>Zeros [offset, end) within the size; whole blocks become <paramref name="whole"/>,
    /// partly covered ones <paramref name="partial"/> (null: keep their state).</summary>
    public void Clear(long offset, long end, BlockState whole, BlockState? partial)
    {
        end = Math.Min(end, Size);
        if (offset >= end)
        {
            return;
        }
        Array.Clear(Bytes, (int)offset, (int)(end - offset));
        for (long b = offset / B; b < Blocks(end); b++)
        {
            if (b * B >= offset && (b + 1) * B <= end)
            {
                States[(int)b] = whole;
            }
            else if (b * B >= offset && end >= Size)
            {
                // The tail block, covered to end of file but not to its own end: filesystems
                // differ on whether they free it.
                States[(int)b] = BlockState.Unknown;
            }
            else if (partial is BlockState p && States[(int)b] != BlockState.Data)
            {
                States[(int)b] = p;
            }
        }
    }

    public byte[] Slice(long offset, long length) => Bytes.AsSpan((int)offset, (int)length).ToArray();

    public BlockState[] StateSlice(long offset, long length) => [.. States.GetRange((int)(offset / B), (int)(length / B))];

    public void Put(long offset, byte[] bytes, BlockState[] states)
    {
        bytes.CopyTo(Bytes, offset);
        for (int i = 0; i < states.Length; i++)
        {
            States[(int)(offset / B) + i] = states[i];
        }
    }

    public void Remove(long offset, long length)
    {
        Bytes = [.. Bytes.AsSpan(0, (int)offset), .. Bytes.AsSpan((int)(offset + length))];
        States.RemoveRange((int)(offset / B), (int)(length / B));
    }

    public void InsertHole(long offset, long length)
    {
        Bytes = [.. Bytes.AsSpan(0, (int)offset), .. new byte[length], .. Bytes.AsSpan((int)offset)];
        States.InsertRange((int)(offset / B), Enumerable.Repeat(BlockState.Hole, (int)(length / B)));
    }

    /// <summary>Removes [offset, offset+length) byte-granularly: the bytes shift exactly; the
    /// block states from the edit on are unknowable (edge blocks are copied, and a shift that
    /// is not native may write zeros where holes were).</summary>
    public void RemoveBytes(long offset, long length)
    {
        Bytes = [.. Bytes.AsSpan(0, (int)offset), .. Bytes.AsSpan((int)(offset + length))];
        ForgetFrom(offset);
    }

    /// <summary>Inserts zeros byte-granularly, forgetting the block states from the edit on.</summary>
    public void InsertZeros(long offset, long length)
    {
        Bytes = [.. Bytes.AsSpan(0, (int)offset), .. new byte[length], .. Bytes.AsSpan((int)offset)];
        ForgetFrom(offset);
    }

    /// <summary>Inserts <paramref name="bytes"/> at <paramref name="offset"/>, forgetting the
    /// block states from the edit on.</summary>
    public void InsertBytes(long offset, byte[] bytes)
    {
        Bytes = [.. Bytes.AsSpan(0, (int)offset), .. bytes, .. Bytes.AsSpan((int)offset)];
        ForgetFrom(offset);
    }

    private void ForgetFrom(long offset)
    {
        int first = (int)(offset / B);
        States.RemoveRange(Math.Min(first, States.Count), Math.Max(0, States.Count - first));
        States.AddRange(Enumerable.Repeat(BlockState.Unknown, Blocks(Size) - States.Count));
    }
}
