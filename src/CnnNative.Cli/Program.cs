using CnnNative.Devices;

namespace CnnNative.Cli;

public static class Program
{
    public static int Main(string[] args)
    {
        if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
        {
            Console.WriteLine("usage: cnn devices");
            return args.Length == 0 ? 2 : 0;
        }
        switch (args[0])
        {
            case "devices":
                foreach (var name in new[] { "reference" })
                {
                    using var d = Device.Create(name);
                    Console.WriteLine(d.Info);
                }
                return 0;
            default:
                Console.Error.WriteLine($"cnn: unknown command '{args[0]}'");
                return 2;
        }
    }
}
