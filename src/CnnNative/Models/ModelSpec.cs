using System.Globalization;
using System.Text.RegularExpressions;
using CnnNative.Layers;

namespace CnnNative.Models;

/// <summary>
/// Text form of a layer stack, tokens joined by '-':
/// <c>conv{K}k{F}[s{S}][p{P}]</c> (F, S, P may be "HxW"; "ps" is "same" padding, stride 1 and odd F only; suffix "nobias"), <c>relu</c>, <c>sigmoid</c>, <c>tanh</c>,
/// <c>maxpool{F}[s{S}]</c>, <c>avgpool{F}[s{S}]</c>, <c>flatten</c>, <c>dense{N}</c>, <c>dropout{rate}</c>, <c>softmax</c>.
/// Built-in names: <c>lenet5</c>, <c>convnet</c>. A classifier spec without a final softmax gets one appended.
/// Also <c>gap</c> (global average pooling, (C, H, W) → (C)) and <c>bn[e{eps}][m{momentum}]</c> (batch normalization:
/// per channel after a feature map, per feature after a dense layer; eps and momentum in decimals, defaults 1e-5 and 0.1).
/// </summary>
public static partial class ModelSpec
{
    /// <summary>The built-in architectures by name.</summary>
    public static IReadOnlyDictionary<string, string> BuiltIn { get; } = new Dictionary<string, string>
    {
        // LeCun et al. 1998 in modern dress (ReLU, max pooling); "pad 2" keeps 28x28 inputs at LeNet's 32x32 geometry.
        ["lenet5"] = "conv6k5p2-relu-maxpool2-conv16k5-relu-maxpool2-flatten-dense120-relu-dense84-relu-dense10-softmax",
        // TensorFlow's two-convolution tutorial network.
        ["convnet"] = "conv32k5p2-relu-maxpool2-conv64k5p2-relu-maxpool2-flatten-dense1024-relu-dense10-softmax",
    };

    /// <summary>A built-in name's spec, or the text itself.</summary>
    public static string Resolve(string nameOrSpec)
    {
        ArgumentNullException.ThrowIfNull(nameOrSpec);
        string key = nameOrSpec.Trim().ToLowerInvariant();
        return BuiltIn.TryGetValue(key, out var spec) ? spec : key;
    }

    /// <summary>Fresh layers for <paramref name="nameOrSpec"/>; throws <see cref="FormatException"/> pointing at the bad token.</summary>
    public static List<Layer> Parse(string nameOrSpec, bool appendSoftmax = true)
    {
        string spec = Resolve(nameOrSpec);
        if (spec.Length == 0) throw new FormatException("The model spec is empty.");
        var tokens = spec.Split('-');
        var layers = new List<Layer>(tokens.Length + 1);
        int offset = 0;
        for (int i = 0; i < tokens.Length; i++)
        {
            try
            {
                layers.Add(ParseToken(tokens[i]));
            }
            catch (Exception e) when (e is FormatException or ArgumentException)
            {
                string caret = new string(' ', offset) + new string('^', Math.Max(1, tokens[i].Length));
                throw new FormatException($"Bad layer token '{tokens[i]}' (token {i + 1}) in model spec: {e.Message}\n  {spec}\n  {caret}", e);
            }
            offset += tokens[i].Length + 1;
        }
        if (appendSoftmax && layers[^1] is Linear) layers.Add(new Softmax());
        return layers;
    }

    private static Layer ParseToken(string token)
    {
        switch (token)
        {
            case "relu": return new ReLU();
            case "sigmoid": return new Sigmoid();
            case "tanh": return new Tanh();
            case "flatten": return new Flatten();
            case "softmax": return new Softmax();
            case "gap": return new GlobalAvgPool2d();
            case "": throw new FormatException("empty token (two '-' in a row?)");
        }
        Match m;
        if ((m = ConvPattern().Match(token)).Success)
        {
            var (kh, kw) = Pair(m.Groups["k"].Value);
            var (sh, sw) = m.Groups["s"].Success ? Pair(m.Groups["s"].Value) : (1, 1);
            if (m.Groups["p"].Value == "s")
            {
                if (sh != 1 || sw != 1) throw new FormatException($"\"same\" padding (ps) needs stride 1, got s{m.Groups["s"].Value}");
                return new Conv2d(Int(m.Groups["n"].Value), kh, kw, Padding.Same, bias: !m.Groups["nobias"].Success);
            }
            var (ph, pw) = m.Groups["p"].Success ? Pair(m.Groups["p"].Value) : (0, 0);
            return new Conv2d(Int(m.Groups["n"].Value), kh, kw, sh, sw, ph, pw, bias: !m.Groups["nobias"].Success);
        }
        if ((m = PoolPattern().Match(token)).Success)
        {
            var (fh, fw) = Pair(m.Groups["f"].Value);
            var (sh, sw) = m.Groups["s"].Success ? Pair(m.Groups["s"].Value) : (fh, fw);
            return m.Groups["kind"].Value == "max" ? new MaxPool2d(fh, fw, sh, sw) : new AvgPool2d(fh, fw, sh, sw);
        }
        if ((m = DensePattern().Match(token)).Success)
            return new Linear(Int(m.Groups["n"].Value), bias: !m.Groups["nobias"].Success);
        if ((m = DropoutPattern().Match(token)).Success)
            return new Dropout(float.Parse(m.Groups["r"].Value, CultureInfo.InvariantCulture));
        if ((m = BatchNormPattern().Match(token)).Success)
            return new BatchNorm(m.Groups["e"].Success ? Float(m.Groups["e"].Value) : 1e-5f, m.Groups["m"].Success ? Float(m.Groups["m"].Value) : 0.1f);
        throw new FormatException("unknown layer; expected convNkF[sS][pP|ps], relu, sigmoid, tanh, maxpoolF[sS], avgpoolF[sS], gap, bn[eE][mM], flatten, denseN, dropoutR or softmax");
    }

    private static int Int(string s)
        => int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out int v) ? v : throw new FormatException($"'{s}' is not a whole number");

    private static float Float(string s) => float.Parse(s, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture);

    private static (int, int) Pair(string s)
    {
        int x = s.IndexOf('x');
        return x < 0 ? (Int(s), Int(s)) : (Int(s[..x]), Int(s[(x + 1)..]));
    }

    [GeneratedRegex(@"^conv(?<n>\d+)k(?<k>\d+(x\d+)?)(s(?<s>\d+(x\d+)?))?(p(?<p>\d+(x\d+)?|s))?(?<nobias>nobias)?$")]
    private static partial Regex ConvPattern();

    [GeneratedRegex(@"^(?<kind>max|avg)pool(?<f>\d+(x\d+)?)(s(?<s>\d+(x\d+)?))?$")]
    private static partial Regex PoolPattern();

    [GeneratedRegex(@"^dense(?<n>\d+)(?<nobias>nobias)?$")]
    private static partial Regex DensePattern();

    [GeneratedRegex(@"^dropout(?<r>0?\.\d+|0)$")]
    private static partial Regex DropoutPattern();

    [GeneratedRegex(@"^bn(e(?<e>\d*\.?\d+))?(m(?<m>\d*\.?\d+))?$")]
    private static partial Regex BatchNormPattern();
}
