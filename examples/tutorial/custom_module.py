# PyTorch: 사용자 정의 nn.Module
#
# 기존 모듈의 순서보다 복잡한 모델이 필요하면 nn.Module을 상속하고 forward를 정의한다.
import ember as torch


class TwoLayerNet(torch.nn.Module):
    def __init__(self, D_in, H, D_out):
        """생성자에서 2개의 nn.Linear 모듈을 만들고 멤버 변수로 지정한다."""
        super().__init__()
        self.linear1 = torch.nn.Linear(D_in, H)
        self.linear2 = torch.nn.Linear(H, D_out)

    def forward(self, x):
        """순전파 함수에서는 입력 Tensor를 받아 출력 Tensor를 반환한다.
        생성자에서 정의한 모듈과 임의의 Tensor 연산을 쓸 수 있다."""
        h_relu = self.linear1(x).clamp(min=0)
        y_pred = self.linear2(h_relu)
        return y_pred


torch.manual_seed(0)

# N은 배치 크기, D_in은 입력의 차원, H는 은닉층의 차원, D_out은 출력 차원이다.
N, D_in, H, D_out = 64, 1000, 100, 10

x = torch.randn(N, D_in)
y = torch.randn(N, D_out)

model = TwoLayerNet(D_in, H, D_out)

# 손실 함수와 Optimizer를 만든다. SGD 생성자의 model.parameters()는 모델의 멤버인
# 2개의 nn.Linear 모듈의 학습 가능한 매개변수들을 돌려준다.
criterion = torch.nn.MSELoss(reduction="sum")
optimizer = torch.optim.SGD(model.parameters(), lr=1e-4)
for t in range(500):
    # 순전파 단계: 모델에 x를 전달하여 예측값 y를 계산한다.
    y_pred = model(x)

    loss = criterion(y_pred, y)
    if t == 0 or t % 100 == 99:
        print(t, "번째 학습결과 : ", loss.item())

    # 변화도를 0으로 만들고, 역전파 단계를 수행하고, 가중치를 갱신한다.
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
