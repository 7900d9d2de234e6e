# PyTorch: 제어 흐름(Control Flow) + 가중치 공유(Weight Sharing)
#
# 각 순전파 단계마다 0에서 3 사이의 숫자를 무작위로 고르고, 그만큼 은닉층을 쌓는다.
# 여러 은닉층이 같은 가중치(middle_linear)를 여러 번 재사용한다.
# 순전파 때마다 그래프를 새로 만들므로 반복문이나 조건문 같은 파이썬 제어 흐름을
# 그대로 쓸 수 있고, 같은 모듈을 여러 번 써도 역전파가 올바르게 누적된다.
import random

import ember as torch


class DynamicNet(torch.nn.Module):
    def __init__(self, D_in, H, D_out):
        """생성자에서 순전파 단계에서 사용할 3개의 nn.Linear 인스턴스를 만든다."""
        super().__init__()
        self.input_linear = torch.nn.Linear(D_in, H)
        self.middle_linear = torch.nn.Linear(H, H)
        self.output_linear = torch.nn.Linear(H, D_out)

    def forward(self, x):
        """순전파 단계에서 0, 1, 2 또는 3 중에 하나를 무작위로 골라
        middle_linear 모듈을 그 횟수만큼 재사용하여 은닉층의 출력을 계산한다."""
        h_relu = self.input_linear(x).clamp(min=0)
        for _ in range(random.randint(0, 3)):
            h_relu = self.middle_linear(h_relu).clamp(min=0)
        y_pred = self.output_linear(h_relu)
        return y_pred


torch.manual_seed(0)
random.seed(0)

# N은 배치 크기, D_in은 입력의 차원, H는 은닉층의 차원, D_out은 출력 차원이다.
N, D_in, H, D_out = 64, 1000, 100, 10

x = torch.randn(N, D_in)
y = torch.randn(N, D_out)

model = DynamicNet(D_in, H, D_out)

# 이 모델은 단순한 확률적 경사하강법(SGD)으로 학습하기 어려우므로 모멘텀(momentum)을 쓴다.
criterion = torch.nn.MSELoss(reduction="sum")
optimizer = torch.optim.SGD(model.parameters(), lr=1e-4, momentum=0.9)
for t in range(500):
    y_pred = model(x)

    loss = criterion(y_pred, y)
    if t == 0 or t % 100 == 99:
        print(t, "번째 학습결과 : ", loss.item())

    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
