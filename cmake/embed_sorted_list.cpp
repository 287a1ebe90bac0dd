// Build tool: turns a data file of one entry per line into C++ string literals for an array
// initialiser ("entry",\n ...), and fails the build when the entries are not strictly sorted
// (byte order, as std::string_view compares) or a line is empty — the code that includes the
// output binary-searches it.
//   embed_sorted_list INPUT OUTPUT
#include <fstream>
#include <iostream>
#include <string>

int main(int argc, char** argv) {
    if (argc != 3) {
        std::cerr << "usage: embed_sorted_list INPUT OUTPUT\n";
        return 2;
    }
    std::ifstream in(argv[1], std::ios::binary);
    if (!in) {
        std::cerr << argv[1] << ": cannot read\n";
        return 1;
    }
    std::string out = "// Generated from " + std::string(argv[1]) + " by cmake/embed_sorted_list.cpp.\n";
    std::string line, previous;
    std::size_t number = 0;
    while (std::getline(in, line)) {
        ++number;
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line.empty()) {
            std::cerr << argv[1] << ":" << number << ": empty line\n";
            return 1;
        }
        if (number > 1 && !(previous < line)) {
            std::cerr << argv[1] << ":" << number << ": \"" << line << "\" is not after \"" << previous
                      << "\" (the list must be strictly sorted)\n";
            return 1;
        }
        out += '"';
        for (unsigned char c : line) {
            if (c == '"' || c == '\\') {
                out += '\\';
                out += static_cast<char>(c);
            } else if (c < 0x20 || c >= 0x7f) {
                static const char* kHex = "0123456789abcdef";
                out += "\\x";
                out += kHex[c >> 4];
                out += kHex[c & 15];
                out += "\"\"";  // ends the hex escape before a following hex digit
            } else {
                out += static_cast<char>(c);
            }
        }
        out += "\",\n";
        previous = line;
    }
    std::ofstream file(argv[2], std::ios::binary | std::ios::trunc);
    file << out;
    return file ? 0 : 1;
}
