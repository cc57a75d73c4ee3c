// swift-tools-version:6.0
import PackageDescription

let package = Package(
  name: "Bonsai",
  products: [
    .library(name: "Pruning", targets: ["Pruning"]),
    .library(name: "SafeTensors", targets: ["SafeTensors"]),
    .library(name: "ModelFolders", targets: ["ModelFolders"]),
    .library(name: "BonsaiC", type: .dynamic, targets: ["BonsaiCInterface"]),
    .executable(name: "bonsai", targets: ["bonsai"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
  ],
  targets: [
    .systemLibrary(
      name: "COpenBLAS",
      path: "Modules/COpenBLAS",
      pkgConfig: "openblas",
      providers: [.apt(["libopenblas-dev"])]
    ),
    .target(name: "CPruningKernels"),
    .target(name: "Pruning", dependencies: ["COpenBLAS", "CPruningKernels"]),
    .target(name: "CFileSpace"),
    .target(name: "SafeTensors", dependencies: ["CFileSpace"]),
    .target(name: "CAtomicRename"),
    .target(name: "ModelFolders", dependencies: ["SafeTensors", "CAtomicRename"]),
    .target(name: "CBonsaiABI"),
    .target(name: "BonsaiCInterface", dependencies: ["CBonsaiABI", "Pruning"]),
    .target(name: "CSignalCleanup"),
    .executableTarget(
      name: "bonsai",
      dependencies: [
        "Pruning",
        "SafeTensors",
        "ModelFolders",
        "CSignalCleanup",
        "CPruningKernels",
        "CBonsaiABI",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ]
    ),
    .executableTarget(name: "BonsaiBenchmarks", dependencies: ["Pruning"]),
    .executableTarget(name: "BonsaiHostProbe", dependencies: ["Pruning", "COpenBLAS", "TestSupport"]),
    .target(name: "TestSupport", dependencies: ["SafeTensors"], path: "Sources/TestSupport"),
    .testTarget(
      name: "PruningTests",
      dependencies: ["Pruning", "CPruningKernels", "TestSupport", "BonsaiHostProbe"]),
    .testTarget(name: "SafeTensorsTests", dependencies: ["SafeTensors", "TestSupport"]),
    .testTarget(name: "ModelFoldersTests", dependencies: ["ModelFolders", "SafeTensors", "TestSupport"]),
    .testTarget(name: "BonsaiCLITests", dependencies: ["bonsai", "SafeTensors", "ModelFolders", "TestSupport", "CPruningKernels", "CSignalCleanup"]),
  ],
  swiftLanguageModes: [.v6]
)
